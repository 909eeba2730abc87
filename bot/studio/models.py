"""Which model Rasa serves: the list, activation on every Rasa instance, one-click rollback.

Activation drains each instance in turn and loads the model through Rasa's HTTP API (`PUT /model`,
bot.conversation.rasa_client.RasaClient.load_model): with several instances the others keep
answering meanwhile; with one, new turns wait for it (seconds), none is lost or sent twice.
The serving and the previous model are kept in <models>/studio_state.json, so a restarted gateway
still knows what to roll back to. (A restarted Rasa starts with the model its command line names.)
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.conversation.rasa_client import RasaClient


class UnknownModel(Exception):
    pass


class ModelSwitch:
    def __init__(self, models_dir: Path, rasa: RasaClient) -> None:
        self.models_dir, self.rasa = Path(models_dir), rasa
        self.state_file = self.models_dir / "studio_state.json"

    # --- state -----------------------------------------------------------------------------
    def state(self) -> Dict[str, Any]:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def _save(self, state: Dict[str, Any]) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1))
        tmp.replace(self.state_file)

    @property
    def root(self) -> Path:
        return Path(os.path.abspath(self.models_dir))

    def name_of(self, path: Path) -> str:
        return str(Path(os.path.abspath(path)).relative_to(self.root))

    def resolve(self, name: str) -> Path:
        """A model named relative to the models dir ("candidates/x.tar.gz"); nothing outside it
        (a symbolic link inside it may point anywhere: the operator put it there)."""
        if not isinstance(name, str) or not name.endswith(".tar.gz"):
            raise UnknownModel("모델 파일 이름이 올바르지 않아요.")
        path = Path(os.path.normpath(self.root / name))
        if self.root not in path.parents or not path.is_file():
            raise UnknownModel(f"모델을 찾을 수 없어요: {name}")
        return path

    def serving(self) -> Optional[Path]:
        """The model the studio last activated, else the newest model at the top of the models dir
        (the one `python -m bot run` starts Rasa with)."""
        name = self.state().get("serving")
        if name:
            try:
                return self.resolve(name)
            except UnknownModel:
                pass
        top = sorted(self.root.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
        return top[0] if top else None

    def available(self) -> List[Dict[str, Any]]:
        state, serving = self.state(), self.serving()
        paths = list(self.root.glob("*.tar.gz")) + list((self.root / "candidates").glob("*.tar.gz"))
        out = []
        for path in sorted(paths, key=lambda p: p.stat().st_mtime, reverse=True):
            name = self.name_of(path)
            out.append({"model": name, "size_mb": round(path.stat().st_size / 1e6, 1),
                        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(path.stat().st_mtime)),
                        "serving": serving is not None and path == serving,
                        "previous": name == state.get("previous")})
        return out

    # --- swapping ---------------------------------------------------------------------------
    async def activate(self, name: str, by: str) -> Dict[str, Any]:
        path = self.resolve(name)
        current = self.serving()
        began = time.monotonic()
        instances = []
        for index, url in enumerate(self.rasa.base_urls):
            async with self.rasa.drained(index):
                seconds = await self.rasa.load_model(index, str(path))
            instances.append({"url": url, "seconds": round(seconds, 2)})
        previous = self.name_of(current) if current and current != path else self.state().get("previous")
        self._save({"serving": self.name_of(path), "previous": previous, "by": by,
                    "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        return {"model": self.name_of(path), "previous": previous, "seconds": round(time.monotonic() - began, 2),
                "instances": instances}

    async def rollback(self, by: str) -> Dict[str, Any]:
        previous = self.state().get("previous")
        if not previous:
            raise UnknownModel("되돌릴 이전 모델이 없어요.")
        return await self.activate(previous, by)
