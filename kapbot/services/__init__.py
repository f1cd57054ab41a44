"""The use cases, each one audited transaction. Handlers and the CLI call only these."""

from kapbot.services.base import Outcome
from kapbot.services.escalations import EscalationService
from kapbot.services.followups import FollowUpService
from kapbot.services.forms import FormService
from kapbot.services.home import HomeService
from kapbot.services.monitoring import MonitoringService
from kapbot.services.outbox import OutboxService
from kapbot.services.patients import PatientService
from kapbot.services.plans import PlanService
from kapbot.services.queries import QueryService
from kapbot.services.roster import RosterService
from kapbot.services.status import StatusService
from kapbot.services.timed import TimedWorkService


class Services(RosterService, PatientService, PlanService, MonitoringService, FollowUpService,
               FormService, HomeService, QueryService, StatusService, OutboxService,
               EscalationService, TimedWorkService):
    """Every use case kapbot offers, over one database, policy and clock."""


__all__ = ["Outcome", "Services"]
