-- The maturity state is never deleted (PostgreSQL): 0003 refused DELETE
-- but not TRUNCATE, which fires no row trigger, unlike every other guarded
-- table's. (SQLite has no TRUNCATE; its 0006 closes a gap of its own.)
CREATE TRIGGER maturity_state_no_truncate BEFORE TRUNCATE ON maturity_state
    FOR EACH STATEMENT EXECUTE FUNCTION trustgate_forbid('the maturity state is never deleted');
