"""Fingerprints training data's tokens and sparse features with one hash each.

After each node of the training graph, Rasa fingerprints the node's output
so that its cache can tell later runs whether anything downstream must be
trained again. For the tokenizer's and the featurizers' output, that is every
training message, its tokens and its features. Rasa hashes each token field
by field (seven MD5s and two JSON dumps a token) and prints each sparse
feature matrix as text, a line per entry, before hashing it: with 27,000
examples, 29 of the 95 seconds of cold training went to that (py-spy;
bench/NOTES.md, "Speed: the featurizers count the whole message only, and
training fingerprints once").

These hash the same content once: a token's fields in one JSON list, a
sparse matrix's shape, type and coordinate arrays as bytes. Two tokens or
matrices that differ still get different fingerprints, and equal ones equal
fingerprints (from run to run too), which is all the cache relies on. The
values differ from Rasa's, so the first training after installing them
finds nothing in an older cache and trains everything, once.

Installed only for training, by the entry point (`python -m rasa_server
train ...`, rasa_server/__main__.py): `make train`, the tests' and the
bench's training.
"""

from __future__ import annotations

import json
from hashlib import md5
from typing import Any

import numpy as np
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.utils.io import deep_container_fingerprint

from rasa_server.patches.patch import Patch
from rasa_server.version_guard import Original, Versions

WRITTEN_FOR = Versions(rasa="3.6.21", sanic="21.12.2", python="3.10")


def token_fingerprint(token: Token) -> str:
    """Rasa's fields of a token (text, start, end, lemma, data), hashed as one JSON list."""
    data = deep_container_fingerprint(token.data) if token.data else None
    fields = [token.text, token.start, token.end, token.lemma, data]
    return md5(json.dumps(fields, ensure_ascii=False).encode("utf-8")).hexdigest()  # nosec


def matrix_digest(matrix: Any) -> str:
    """A sparse matrix's shape, value type and entries, hashed as bytes."""
    coo = matrix.tocoo()
    digest = md5(f"{coo.shape} {coo.dtype}".encode())  # nosec: a cache key, not a secret
    for array in (coo.row, coo.col, coo.data):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def features_fingerprint(features: Features) -> str:
    """Rasa's fingerprint of features, with a sparse matrix hashed as bytes instead of text."""
    if features._cached_fingerprint is None:
        if features.is_dense():
            content: Any = features.features.tobytes()  # as Rasa does
        else:
            content = matrix_digest(features.features)
        features._cached_fingerprint = deep_container_fingerprint(
            [features.type, features.origin, features.attribute, content]
        )
    return features._cached_fingerprint


TOKEN_PATCH = Patch(
    name="token_fingerprint",
    does="a training token is fingerprinted with one hash, not seven",
    target=Original(Token, "fingerprint", "f535beb0dc87da65"),
    replacement=token_fingerprint,
    written_for=WRITTEN_FOR,
)
FEATURES_PATCH = Patch(
    name="features_fingerprint",
    does="sparse training features are fingerprinted as bytes, not printed as text first",
    target=Original(Features, "fingerprint", "5fe1e6bb82c0726c"),
    replacement=features_fingerprint,
    written_for=WRITTEN_FOR,
)
