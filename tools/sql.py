"""SQL shared by the models that group users and contacts by the domain of their address."""

from odoo.tools import SQL


def email_domain_sql(column: str) -> SQL:
    """SQL for the domain of an email column, as tools.addresses.raw_domain() reads it."""
    return SQL("lower(btrim(substring(%s FROM '@([^@]*)$'), ' >'))", SQL.identifier(*column.split(".")))
