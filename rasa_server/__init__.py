"""What the Rasa server loads from this project, by dotted path, and from where.

config.yml (the NLU pipeline, also at training):
    count_vectors.FastCountVectorsFeaturizer  Rasa's CountVectorsFeaturizer, counted faster
    intent_classifier.LinearIntentClassifier  the intent model (core/intent_model.py)
    language_component.LanguageReader         the patient's language (core/language.py)
    safety_component.SafetyScreenComponent    the safety screen (core/safety/)
credentials.yml (channels):
    rest_channel.ClinicRestInput              POST /webhooks/rest/webhook; freezes the heap
                                              once the server has started (frozen_heap.py)
endpoints.yml (`make shell`, by hand) and the endpoints tools/processes.py
writes for `make run`, the tests and the bench:
    tracker_store.CachedSQLTrackerStore       Rasa's SQL tracker store, cached
    lock_store.AtomicRedisLockStore           with LOCK_STORE_URL (processes.py only)

None of these changes Rasa when loaded. The speed-ups to Rasa's and Sanic's
internals (patches/) are installed only by the Rasa server's entry point,
`python -m rasa_server run ...` (__main__.py), which tools/processes.py uses.
"""
