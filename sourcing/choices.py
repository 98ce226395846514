"""The sourcing app's fixed vocabularies: a candidate's stages, why it left the race, and what
the activity log records."""

from django.db import models


class Stage(models.TextChoices):
    """Where a candidate is: a step of the pipeline, in order, or out of the race."""

    LONGLISTED = "longlisted", "Longlisted"
    CONTACTED = "contacted", "Contacted"
    CDA_SIGNED = "cda-signed", "CDA signed"
    RFI_SENT = "rfi-sent", "RFI sent"
    RFI_RECEIVED = "rfi-received", "RFI received"
    PROPOSAL_RECEIVED = "proposal-received", "Proposal received"
    AUDIT_PLANNED = "audit-planned", "Audit planned"
    AUDITED = "audited", "Audited"
    SELECTED = "selected", "Selected"
    REJECTED = "rejected", "Rejected by us"
    DECLINED = "declined", "Declined by the provider"
    ON_HOLD = "on-hold", "On hold"


# The pipeline's steps in order (a board's columns), then the ways out of the race, each of
# which needs a reason.
PIPELINE = (
    Stage.LONGLISTED,
    Stage.CONTACTED,
    Stage.CDA_SIGNED,
    Stage.RFI_SENT,
    Stage.RFI_RECEIVED,
    Stage.PROPOSAL_RECEIVED,
    Stage.AUDIT_PLANNED,
    Stage.AUDITED,
    Stage.SELECTED,
)
EXITS = (Stage.REJECTED, Stage.DECLINED, Stage.ON_HOLD)


class ExitReason(models.TextChoices):
    """Why a candidate left the race."""

    NO_CAPACITY = "no-capacity", "No capacity"
    TIMELINE = "timeline", "Timeline"
    TECHNICAL_FIT = "technical-fit", "Technical fit"
    QUALITY_RECORD = "quality-record", "Quality record"
    COMMERCIAL = "commercial", "Commercial"
    OTHER = "other", "Other"


class Verb(models.TextChoices):
    """What an entry of a shortlist's activity log records."""

    CREATED = "created", "created the shortlist"
    ADDED = "added", "added"
    MOVED = "moved", "moved"
    ASSIGNED = "assigned", "assigned"
    NOTED = "noted", "noted"
    REMOVED = "removed", "removed"
    EXPORTED = "exported", "exported"
    QUOTED = "quoted", "recorded a quote for"
    ATTACHED = "attached", "attached a file to"
    DETACHED = "detached", "deleted a file of"
    CRITERIA = "criteria", "changed the evaluation criteria"
    SCORED = "scored", "scored"
    REVEALED = "revealed", "revealed the team scores"
    DECIDED = "decided", "decided"
    REOPENED = "reopened", "reopened the decision"


class AttachmentKind(models.TextChoices):
    """What a file attached to a candidate is."""

    RFI_ANSWER = "rfi-answer", "RFI answer"
    PROPOSAL = "proposal", "Proposal"
    AUDIT_REPORT = "audit-report", "Audit report"
    CDA = "cda", "Confidentiality agreement"
    OTHER = "other", "Other"


class AlertKind(models.TextChoices):
    """What a notification is about: a regulator event on a watched site, a certificate running
    out, a saved search with new sites, a kept brief re-run. Members choose which they get."""

    WARNING_LETTER = "warning-letter", "Warning letter"
    INSPECTION = "inspection", "OAI or VAI inspection"
    FORM_483 = "483", "Published 483"
    IMPORT_ALERT = "import-alert", "Import alert"
    EU_NON_COMPLIANCE = "eu-non-compliance", "EU non-compliance report"
    ENFORCEMENT = "enforcement", "Injunction or seizure"
    COMPLIANCE_DROP = "compliance-drop", "Compliance score fell by 10 or more"
    CERTIFICATE = "certificate", "Certificate expiring or expired"
    SAVED_SEARCH = "saved-search", "New sites for a saved search"
    BRIEF_RERUN = "brief-rerun", "A kept brief re-run"


class EmailChoice(models.TextChoices):
    """How a member hears of a notification besides the bell."""

    NEVER = "never", "In the app only"
    AT_ONCE = "at-once", "An e-mail at once"
    DIGEST = "digest", "A daily digest"
