-- Tool vendors as they appear in code (docs/reference/operations.md): the PyPI package names,
-- import names and API hosts by which `pyctl scan` ties a hub's code to a vendor.
-- depends: 0600_tool_catalogue
--
-- One identifier names one vendor. `vendor` is written exactly as in
-- shq.tool_registry.vendor; a vendor listed here with no tool in the registry
-- is a known vendor that no hub may call (the scan reports it as
-- unregistered), which is why there is no foreign key to the registry.
-- Whether a vendor is banned, and which hubs may call it, stays in
-- shq.tool_registry (is_banned, allowed_hubs): this table only recognises it.
SET LOCAL search_path = pg_catalog, pg_temp;

CREATE TABLE shq.tool_vendor_identifiers (
    kind       text NOT NULL CHECK (kind IN ('pypi_package', 'import_name', 'api_host')),
    identifier text NOT NULL,
    vendor     text NOT NULL CHECK (vendor ~ '\S'),
    PRIMARY KEY (kind, identifier),
    -- the forms the scanner compares with: a PEP 503 normalised package name,
    -- a dotted module path, a lower-case host name
    CONSTRAINT tool_vendor_identifiers_form_check CHECK (CASE kind
        WHEN 'pypi_package' THEN identifier ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$' AND identifier !~ '--'
        WHEN 'import_name'  THEN identifier ~ '^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$'
        WHEN 'api_host'     THEN identifier ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'
    END)
);
CREATE INDEX tool_vendor_identifiers_vendor_idx ON shq.tool_vendor_identifiers (vendor);
COMMENT ON TABLE shq.tool_vendor_identifiers IS
    'How each tool vendor appears in code: PyPI package (PEP 503 normalised), import name (a module and its submodules), API host (and its subdomains); read by pyctl scan. Banned and allowed hubs stay in shq.tool_registry.';
COMMENT ON COLUMN shq.tool_vendor_identifiers.vendor IS
    'shq.tool_registry.vendor, spelled the same; a vendor with no tool in the registry is known but unregistered.';

INSERT INTO shq.tool_vendor_identifiers (kind, identifier, vendor) VALUES
    -- the registry's vendors (db/0600); 'internal' tools have nothing to recognise
    ('pypi_package', 'linkedin-scraper',         'linkedin-scraper'),
    ('import_name',  'linkedin_scraper',         'linkedin-scraper'),
    ('pypi_package', 'pyhunter',                 'Hunter.io'),
    ('import_name',  'pyhunter',                 'Hunter.io'),
    ('api_host',     'api.hunter.io',            'Hunter.io'),
    ('api_host',     'api.apollo.io',            'Apollo.io'),
    ('api_host',     'api.clay.com',             'Clay'),
    ('api_host',     'api.millionverifier.com',  'MillionVerifier'),
    ('pypi_package', 'google-api-python-client', 'Google'),
    ('import_name',  'googleapiclient',          'Google'),
    ('api_host',     'customsearch.googleapis.com', 'Google'),
    ('api_host',     'askebsa.dol.gov',          'U.S. Department of Labor'),
    -- known B2B data vendors that are not in the registry: calling them is V-TOOL-001
    ('pypi_package', 'clearbit',                 'Clearbit'),
    ('import_name',  'clearbit',                 'Clearbit'),
    ('api_host',     'clearbit.com',             'Clearbit'),
    ('pypi_package', 'peopledatalabs',           'People Data Labs'),
    ('import_name',  'peopledatalabs',           'People Data Labs'),
    ('api_host',     'api.peopledatalabs.com',   'People Data Labs'),
    ('api_host',     'api.zoominfo.com',         'ZoomInfo'),
    ('api_host',     'nubela.co',                'Proxycurl');

GRANT SELECT ON shq.tool_vendor_identifiers TO outreach_governor, outreach_hub_writer;
