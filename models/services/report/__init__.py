"""The report: its context (context), versions and approval (versions), rendering requests
(rendering), the working group's text (narrative, recommendations) and sign-off (signoff, with
the byte-level PAdES and CAdES code in pades and cades)."""
