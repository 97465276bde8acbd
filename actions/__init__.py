"""The rasa-sdk action server: thin actions over plain, separately tested modules."""
