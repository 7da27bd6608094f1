"""The IMO middle layer of Company Target: the one sanctioned writer of
outreach.company_hub_status in this code base."""


def mark_in_progress(conn, company_unique_id: str) -> None:
    # sanctioned path: a direct write to company_hub_status is allowed here
    conn.execute(
        "UPDATE outreach.company_hub_status SET status = 'IN_PROGRESS' "
        "WHERE company_unique_id = %s AND hub_id = 'company-target'",
        (company_unique_id,),
    )


def block_everything(conn, company_unique_id: str) -> None:
    # sanctioned for company_hub_status only: manual_overrides is not its table
    conn.execute("DELETE FROM outreach.manual_overrides WHERE company_unique_id = %s", (company_unique_id,))
