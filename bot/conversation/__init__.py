"""The conversation core: conversations and messages, the chat service, the websocket broker
and the Rasa client. The gateway (web) and the handoff desk both stand on it; it imports neither."""
