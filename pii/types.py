"""The names of the kinds of personal data, without importing any recognizer (reports and cards use them)."""

#: Presidio entity -> the short type name used in placeholders, counts and reports.
TYPE_NAMES = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "IBAN_CODE": "IBAN",
    "CREDIT_CARD": "CREDIT_CARD",
    "IP_ADDRESS": "IP_ADDRESS",
    "NATIONAL_ID": "NATIONAL_ID",  # personal identifiers of the member states (pii/identifiers.py)
    "TAX_ID": "TAX_ID",
    "SOCIAL_SECURITY": "SOCIAL_SECURITY",
    "VAT_ID": "VAT_ID",
    "PERSON": "PERSON",  # pii/names.py
}
