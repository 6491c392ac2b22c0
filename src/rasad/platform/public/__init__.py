"""The pages where every user meets Rasad: the published Top-100, its league tables and
methodology (public), the enterprise scorecard, the estate manager's dashboard and the
national dashboard (scoped by role, DESIGN §5)."""
