"""Settings, read once from the environment (prefix ``DMS_``) so every entry point agrees on the backends."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DMS_", env_file=None, extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str = ""
    blob_url: str = ""
    search_url: str = "embedded"
    tika_url: str = "embedded"
    ocr_languages: str = "fra+nld+deu+eng"
    seda_schema_dir: Path = Field(
        default_factory=lambda: Path(__file__).resolve().parent.parent.parent / "shared/standards/seda-2.3"
    )
    max_upload_bytes: int = 2048 * MIB
    search_index_name: str = "dms"
    extraction_timeout_s: float = 120.0
    job_max_attempts: int = 8
    job_lease_s: float = 600.0  # a killed worker's jobs are taken back after this (a live one renews its lease)
    extract_inline: bool = True  # false: uploads are answered before extraction, which `dms worker`s run
    secret_key: str = ""
    web_cookie_secure: str = "auto"  # the session cookie's Secure flag: auto (when served over https), true, false
    imap_url: str = ""  # imap[s]://user:password@host:port/FOLDER, read by `dms mail fetch` (docs/intake.md)

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_data_dir / 'dms.sqlite3'}"

    @property
    def resolved_blob_url(self) -> str:
        if self.blob_url:
            return self.blob_url
        return (self.resolved_data_dir / "blobs").as_uri()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Tests and the CLI change the environment between runs; drop the cached settings and the backends."""
    get_settings.cache_clear()
