"""Names that changed, renamed in place before the module loads, so that nothing stored is lost:

- mail.domain.check.problem is mail.domain.check.finding (its table, its records, its fields' metadata);
- mail.domain.check's problem_ids is finding_ids, and its report (the stored result of the last check) is
  result: "report" names a DMARC aggregate report only.
"""

MODEL_RENAMES = [("mail.domain.check.problem", "mail.domain.check.finding")]
FIELD_RENAMES = [("mail.domain.check", "problem_ids", "finding_ids"), ("mail.domain.check", "report", "result")]


def _table(model: str) -> str:
    return model.replace(".", "_")


def _exists(cr, query: str, params) -> bool:
    cr.execute(query, params)
    return bool(cr.fetchone())


def rename_model(cr, old: str, new: str) -> None:
    old_table, new_table = _table(old), _table(new)
    if _exists(cr, "SELECT 1 FROM pg_class WHERE relname = %s AND relkind = 'r'", [old_table]):
        cr.execute(f'ALTER TABLE "{old_table}" RENAME TO "{new_table}"')
        if _exists(cr, "SELECT 1 FROM pg_class WHERE relname = %s AND relkind = 'S'", [f"{old_table}_id_seq"]):
            cr.execute(f'ALTER SEQUENCE "{old_table}_id_seq" RENAME TO "{new_table}_id_seq"')
    cr.execute("UPDATE ir_model SET model = %s WHERE model = %s", [new, old])
    cr.execute("UPDATE ir_model_fields SET model = %s WHERE model = %s", [new, old])
    cr.execute("UPDATE ir_model_fields SET relation = %s WHERE relation = %s", [new, old])
    cr.execute("UPDATE ir_model_data SET model = %s WHERE model = %s", [new, old])
    old_xmlid, new_xmlid = f"model_{old_table}", f"model_{new_table}"
    cr.execute(
        "UPDATE ir_model_data SET name = %s WHERE module = 'mail_domain_health' AND name = %s", [new_xmlid, old_xmlid]
    )
    cr.execute(
        """
        UPDATE ir_model_data SET name = replace(name, %s, %s)
         WHERE module = 'mail_domain_health' AND model = 'ir.model.fields' AND name LIKE %s
        """,
        [f"field_{old_table}__", f"field_{new_table}__", f"field_{old_table}__%"],
    )
    # Activities, messages and attachments name their model too.
    for table, column in (("mail_message", "model"), ("mail_activity", "res_model"), ("ir_attachment", "res_model")):
        cr.execute(f'UPDATE "{table}" SET "{column}" = %s WHERE "{column}" = %s', [new, old])


def rename_field(cr, model: str, old: str, new: str) -> None:
    table = _table(model)
    if _exists(cr, "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s", [table, old]):
        cr.execute(f'ALTER TABLE "{table}" RENAME COLUMN "{old}" TO "{new}"')
    cr.execute("UPDATE ir_model_fields SET name = %s WHERE model = %s AND name = %s", [new, model, old])
    cr.execute(
        "UPDATE ir_model_data SET name = %s WHERE module = 'mail_domain_health' AND name = %s",
        [f"field_{table}__{new}", f"field_{table}__{old}"],
    )


def migrate(cr, version):
    for old, new in MODEL_RENAMES:
        rename_model(cr, old, new)
    for model, old, new in FIELD_RENAMES:
        rename_field(cr, model, old, new)
