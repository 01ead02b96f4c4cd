"""Authentication service: password hashing, session tokens and API key rotation."""

import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from typing import Optional

from flask import Flask, jsonify, request

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ["FLASK_SECRET_KEY"]
app.config["SESSION_COOKIE_SECURE"] = True

TOKEN_TTL_SECONDS = 3600
MAX_LOGIN_ATTEMPTS = 5
PASSWORD_MIN_LENGTH = 12


@dataclass
class User:
    id: uuid.UUID
    email: str
    password_hash: str
    api_key_id: Optional[str] = None


def hash_password(password: str, salt: Optional[bytes] = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)
    return salt.hex() + ":" + digest.hex()


def verify_password(password: str, stored: str) -> bool:
    salt_hex, digest_hex = stored.split(":")
    candidate = hash_password(password, bytes.fromhex(salt_hex))
    return hmac.compare_digest(candidate.split(":")[1], digest_hex)


def issue_token(user: User) -> str:
    token = secrets.token_urlsafe(32)
    cache_key = f"session:{user.id}"
    redis.setex(cache_key, TOKEN_TTL_SECONDS, token)
    return token


@app.post("/login")
def login():
    body = request.get_json()
    password = body.get("password")
    if password is None or len(password) < PASSWORD_MIN_LENGTH:
        return jsonify(error="password too short"), 400
    user = users.find_by_email(body["email"])
    if user is None or not verify_password(password, user.password_hash):
        return jsonify(error="invalid credentials"), 401
    token = issue_token(user)
    return jsonify(token=token, expires_in=TOKEN_TTL_SECONDS)


@app.post("/api-keys/rotate")
def rotate_api_key():
    api_key = secrets.token_hex(20)
    key_id = str(uuid.uuid4())
    store.save(key_id, hashlib.sha256(api_key.encode()).hexdigest())
    # The key is shown once; only its hash is stored.
    return jsonify(key_id=key_id, api_key=api_key)


def load_settings():
    return {
        "database_url": os.getenv("DATABASE_URL", "postgres://localhost:5432/app"),
        "password": os.getenv("DB_PASSWORD"),
        "token": None,
        "secret": get_secret("app/signing"),
        "key": "user_id",
    }


class Config:
    DEBUG = False
    SQLALCHEMY_DATABASE_URI = "sqlite:///app.db"
    JWT_SECRET = os.environ.get("JWT_SECRET", "")
    PASSWORD_RESET_SALT = os.environ.get("PASSWORD_RESET_SALT")
    primary_key = True
    sort_key = "created_at"
