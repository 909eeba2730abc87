"""Analytics for the CS team: events from Rasa's event broker and from the gateway and the desk,
the facts derived from them, and the metrics of the dashboard.

    events.py    the one way anything records an event (idempotent keys); Rasa events translated
    facts.py     per-conversation and per-ticket facts derived from the events (pure)
    consumer.py  the event broker: endpoint config for Rasa, and the consumers that store its events
    metrics.py   the dashboard's figures over the facts (SQL, no web imports)
    csat.py      when the widget may ask for a rating
    history.py   realistic history as events, for the demo and for load (`seed --history N`)

Imports nothing from the conversation core, the desk or the gateway: they call it.
"""
