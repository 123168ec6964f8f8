"""Every write of messaging.  What upper layers call:

- sending.messages_create_bulk / message_send_one / staff_messages_send
- topics.topic_create / topic_update / topic_preview
- inbound.opt_out_set, inbound.register_inbound_handler
- the context-provider registry is messaging.context.register_context_provider
"""
