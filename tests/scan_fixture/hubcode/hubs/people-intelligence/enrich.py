"""People enrichment: Hunter.io and Clay are allowed for this hub."""
import linkedin_scraper
from linkedin_scraper.person import Person  # the banned scraper again
import pyhunter
from pyctl.guard import InteractionType, enforce_tool_canon

CLAY_URL = "https://api.clay.com/v1/enrich"


@enforce_tool_canon("TOOL-008", "people-intelligence", InteractionType.ENRICH)
def find_email(domain, gate_state, *, conn):
    return pyhunter.PyHunter("key").domain_search(domain)


@enforce_tool_canon("TOOL-009", "people-intelligence", InteractionType.READ)
def waterfall(person, gate_state, *, conn):
    return CLAY_URL, Person


def profile(conn):
    from pyctl.guard import ToolCanonGuard
    return ToolCanonGuard(conn).check("TOOL-010", "people-intelligence", InteractionType.READ)
