"""Scheduled reports: the nightly digest per monitor and the monthly superintendent summary.

Data is read from the warehouse by plain functions (`digest`, `monthly`, `health`), drawn by
`charts`, rendered by `render` (Jinja2 with autoescape; PDF by WeasyPrint) and produced, archived
and delivered by `jobs`. Nothing here ever reads `findings.summary` or `findings.evidence_json`:
those may name students; reports show `findings.category`, counts and account names only.
"""
