from .inbound import InboundMessage, OptOut
from .messages import FINAL_STATUSES, Message, MessageStatus, PendingReceipt, ReceiptSms
from .topics import Topic, TopicKind

__all__ = ["FINAL_STATUSES", "InboundMessage", "Message", "MessageStatus", "OptOut", "PendingReceipt", "ReceiptSms",
           "Topic", "TopicKind"]
