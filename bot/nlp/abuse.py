"""Spotting an angry or abusive customer, who should reach a human quickly."""
from __future__ import annotations

import re

_ABUSE = re.compile(
    r"씨발|시발|ㅅㅂ|ㅆㅂ|씨바|병신|ㅂㅅ|개새|ㄱㅅㄲ|좆|존나|졸라|꺼져|닥쳐|미친놈|미친년|미친\s*거|"
    r"사기꾼|사기\s*치|소비자\s*보호원|소보원|고소할|고소하겠|신고할|빡치|열받|짜증\s*나|개\s*같|엿\s*먹"
)


def is_abusive(text: str) -> bool:
    """Swearing, threats of complaints or plain fury: worth a human, whatever the intent."""
    return bool(_ABUSE.search(text.replace(" ", "") if len(text) < 200 else text))
