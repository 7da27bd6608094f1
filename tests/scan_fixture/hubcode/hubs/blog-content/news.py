"""Blog / Content: Google Custom Search is allowed here, Hunter.io is not."""
import clearbit
import pyhunter
from googleapiclient.discovery import build
from pyctl.guard import InteractionType, ToolCanonGuard, enforce_tool_canon

SEARCH = build("customsearch", "v1")
HUNTER_SEARCH = "https://api.hunter.io/v2/domain-search"
ZOOMINFO = "https://api.zoominfo.com/search/company"


@enforce_tool_canon("TOOL-099", "blog-content", InteractionType.READ)
def unknown_tool(conn):
    return None


@enforce_tool_canon("TOOL-010", "blog-content", InteractionType.READ)
def scrape(conn):
    return None


def check(conn):
    guard = ToolCanonGuard(conn)
    guard.validate("TOOL-008", "blog-content", InteractionType.ENRICH)
    guard.validate("TOOL-006", "blog-content", "READ")
    guard.validate("TOOL-003", "dol-filings", InteractionType.WRITE)
    return guard.check(tool_id="TOOL-005", hub_id="company-target", interaction_type="READ")


def people_data(company):
    return clearbit.Company.find(domain=company), pyhunter, SEARCH
