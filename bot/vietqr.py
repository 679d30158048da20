"""VietQR (NAPAS, on EMVCo): the payment code a receipt carries, so a citizen pays from any
Vietnamese banking app with the amount and the pledge's reference already filled in."""

from __future__ import annotations

import io

import segno
from qr_pay import QRPay

from bot.config import Fund


def payload(fund: Fund, amount: int, note: str) -> str:
    """The EMVCo payload: account transfer (QRIBFTTA), VND, amount, transfer note."""
    return QRPay(fund.bank_bin, fund.account, transaction_amount=amount,
                 purpose_of_transaction=note).code


def png(fund: Fund, amount: int, note: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(payload(fund, amount, note), error="m").save(buffer, kind="png", scale=8,
                                                           border=4)
    return buffer.getvalue()
