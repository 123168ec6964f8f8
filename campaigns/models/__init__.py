from .audiences import Audience
from .campaigns import Campaign, CampaignStatus, NoRepeatClaim, ResendLink
from .dunning import DunningRun, DunningScheme

__all__ = ["Audience", "Campaign", "CampaignStatus", "DunningRun", "DunningScheme", "NoRepeatClaim", "ResendLink"]
