"""The VietQR payload on receipts: NAPAS's published example, and the CRC checked by hand."""

import io

import segno
from PIL import Image
from qr_pay import decode

from bot import vietqr
from bot.config import Fund

FUND = Fund("970436", "1031933430", "QUY VI NGUOI NGHEO")


def crc16_ccitt(data: str) -> str:
    crc = 0xFFFF
    for byte in data.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = (crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def test_payload_carries_account_amount_and_reference():
    code = vietqr.payload(FUND, 1_200_000, "TT23-0042")
    assert code.startswith("000201010212")                    # EMVCo, dynamic
    assert "0010A000000727" in code and "0006970436" in code  # NAPAS, the bank's BIN
    assert "01101031933430" in code and "0208QRIBFTTA" in code  # the account, transfer
    assert "5303704" in code and "54071200000" in code and "5802VN" in code
    assert "0809TT23-0042" in code                             # the transfer note
    assert code[-4:] == crc16_ccitt(code[:-4])
    fields = decode(code)
    assert (fields["transaction_amount"], fields["purpose_of_transaction"]) == ("1200000",
                                                                                "TT23-0042")


def test_the_png_is_the_code_as_segno_draws_it():
    """Pillow draws it; segno's own writer is the reference: the same pixels, module for
    module, quiet zone included."""
    drawn = vietqr.png(FUND, 500_000, "TT23-0001")
    reference = io.BytesIO()
    segno.make(vietqr.payload(FUND, 500_000, "TT23-0001"), error="m").save(
        reference, kind="png", scale=vietqr.SCALE, border=vietqr.BORDER)
    ours, theirs = (Image.open(io.BytesIO(data)).convert("L") for data in
                    (drawn, reference.getvalue()))
    assert drawn.startswith(b"\x89PNG\r\n\x1a\n") and ours.size == theirs.size == (360, 360)
    assert ours.tobytes() == theirs.tobytes()


def test_the_bank_name_comes_from_the_bin_or_the_configuration():
    assert vietqr.bank_name(FUND) == "Vietcombank"
    for bin_, name in (("970415", "VietinBank"), ("970418", "BIDV"), ("970405", "Agribank"),
                       ("970422", "MB"), ("970407", "Techcombank"), ("970416", "ACB"),
                       ("970432", "VPBank"), ("970423", "TPBank"), ("970403", "Sacombank")):
        assert vietqr.bank_name(Fund(bin_, "1", "")) == name
    assert vietqr.bank_name(Fund("970499", "1", "")) is None
    assert vietqr.bank_name(Fund("970436", "1", "", "Ngân hàng Ngoại thương")) == \
        "Ngân hàng Ngoại thương"
    assert all(len(b) == 6 and b.isdigit() for b in vietqr.BANKS)
