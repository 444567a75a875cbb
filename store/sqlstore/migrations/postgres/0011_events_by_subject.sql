-- ListSubjectEvents and LatestEvent read a subject's events through this
-- index: its entries for one subject in sequence order, so that a
-- request's history, or its latest event, is a seek and a short walk
-- instead of a scan of the whole log.
CREATE INDEX audit_events_by_subject ON audit_events (subject, seq);
