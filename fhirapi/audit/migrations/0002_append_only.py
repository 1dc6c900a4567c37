"""The database refuses UPDATE and DELETE of audit rows, whoever asks (see models.py).

The retention purge's escape: inside a transaction, `SET LOCAL wintehr.audit_purge = 'on'` lets
DELETE through for that transaction only; UPDATE is never allowed.
"""

from django.db import migrations

APPEND_ONLY = """
CREATE FUNCTION audit_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('wintehr.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'a retention purge sets wintehr.audit_purge to on (SET LOCAL) first';
END;
$$;
CREATE TRIGGER audit_record_append_only
    BEFORE UPDATE OR DELETE ON audit_auditrecord
    FOR EACH ROW EXECUTE FUNCTION audit_record_append_only();
"""

DROP = """
DROP TRIGGER audit_record_append_only ON audit_auditrecord;
DROP FUNCTION audit_record_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunSQL(APPEND_ONLY, reverse_sql=DROP)]
