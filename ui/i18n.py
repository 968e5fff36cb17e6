"""Labels in English and French, and numbers and dates formatted for the locale

The French labels are the seed page's own wording ("Jetons disponibles", "Événements liés aux jetons", …).
"""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

LANGUAGES = {'en': 'EN', 'fr': 'FR'}
LOCALES = {'en': 'en_GB', 'fr': 'fr_FR'}

LABELS: dict[str, tuple[str, str]] = {
    # key: (English, French)
    'balances': ('Balances', 'Soldes'),
    'sign_in': ('Sign in', 'Se connecter'),
    'sign_out': ('Sign out', 'Se déconnecter'),
    'email': ('E-mail', 'Adresse e-mail'),
    'password': ('Password', 'Mot de passe'),
    'wrong_login': ('Wrong e-mail or password.', 'Adresse e-mail ou mot de passe incorrect.'),
    'try_again_at': (
        'Too many attempts: try again after {time}.',
        'Trop de tentatives\u00a0: réessayez après {time}.',
    ),
    'signed_out': ('You are signed out.', 'Vous êtes déconnecté.'),
    'contract': ('Contract', 'Contrat'),
    'flex': ('Flex tokens', 'Jetons Flex'),
    'cloud_credits': ('Shared cloud credits', 'Crédits cloud partagés'),
    'updated': ('Updated {time}', 'Mis à jour à {time}'),
    'loading': ('Loading balances…', 'Chargement des soldes…'),
    'no_contracts': ('No contract has been granted to you yet.', 'Aucun contrat ne vous a encore été attribué.'),
    'no_teams': ('This contract has no teams yet.', "Ce contrat n'a pas encore d'équipe."),
    'no_purchases_flex': ('No tokens purchased yet.', "Aucun jeton acheté pour l'instant."),
    'no_purchases_cloud': (
        'No shared cloud credits purchased yet.',
        "Aucun crédit cloud partagé acheté pour l'instant.",
    ),
    'error': ('The balances could not be loaded: {error}', 'Impossible de charger les soldes : {error}'),
    'available_flex': ('Tokens available', 'Jetons disponibles'),
    'used_flex': ('Tokens used', 'Jetons utilisés'),
    'total_flex': ('Total tokens purchased', 'Nombre total de jetons achetés'),
    'available_cloud': ('Shared cloud credits available', 'Crédits cloud partagés disponibles'),
    'used_cloud': ('Shared cloud credits used', 'Crédits cloud partagés utilisés'),
    'total_cloud': ('Total shared cloud credits', 'Nombre total de crédits cloud partagés'),
    'expired': ('Expired', 'Expirés'),
    'available_short': ('available', 'disponibles'),
    'healthy': ('Above 20 % available', 'Plus de 20 % disponibles'),
    'low': ('20 % or less available', '20 % ou moins disponibles'),
    'last_90_days': ('Last 90 days', 'Au cours des 90 derniers jours'),
    'products_flex': ('Products used with tokens: {count}', 'Produits utilisés avec les jetons\u00a0: {count}'),
    'users_flex': ('Token users: {count}', 'Utilisateurs de jetons\u00a0: {count}'),
    'products_cloud': (
        'Products used with shared cloud credits: {count}',
        'Produits utilisés avec les crédits cloud partagés\u00a0: {count}',
    ),
    'users_cloud': (
        'Users of shared cloud credits: {count}',
        'Utilisateurs de crédits cloud partagés\u00a0: {count}',
    ),
    'donut_flex': (
        '{share} of the tokens available: {available} of {total}',
        '{share} des jetons disponibles\u00a0: {available} sur {total}',
    ),
    'donut_cloud': (
        '{share} of the shared cloud credits available: {available} of {total}',
        '{share} des crédits cloud partagés disponibles\u00a0: {available} sur {total}',
    ),
    'expired_quantity': ('Expired: {quantity}', 'Expirés\u00a0: {quantity}'),
    'trend_label': (
        'Daily consumption: {total} over the last {days} days',
        'Consommation quotidienne\u00a0: {total} sur les {days} derniers jours',
    ),
    'expiry': (
        '{quantity} {unit} expire in {days} days ({date})',
        '{quantity} {unit} expirent dans {days} jours ({date})',
    ),
    'expiry_today': ('{quantity} {unit} expire today ({date})', "{quantity} {unit} expirent aujourd'hui ({date})"),
    'no_expiry': ('Nothing expires soon', 'Aucune expiration prochaine'),
    'alert': ('Tokens expire within 90 days for: {teams}', "Des jetons expirent d'ici 90 jours pour : {teams}"),
    'alert_cloud': ('Shared cloud credits expire within 90 days', "Des crédits cloud partagés expirent d'ici 90 jours"),
    'token_events': ('Token events', 'Événements liés aux jetons'),
    'assign': ('Assign to another team', 'Affecter à une autre équipe'),
    'usage_details': ('Show usage details', "Afficher les détails d'utilisation"),
    'usage_details_title': ('Usage details', "Informations d'utilisation"),
    'trend': ('Daily consumption', 'Consommation quotidienne'),
    'by_product': ('By service', 'Par service'),
    'by_user': ('By user', 'Par utilisateur'),
    'range_30': ('30 days', '30 jours'),
    'range_90': ('90 days', '90 jours'),
    'this_month': ('This month', 'Ce mois-ci'),
    'last_month': ('Last month', 'Mois dernier'),
    'range_12m': ('12 months', '12 mois'),
    'custom': ('Custom range', 'Intervalle personnalisé'),
    'download_csv': ('Download CSV', 'Télécharger CSV'),
    'no_usage': ('No usage in this period.', 'Aucune utilisation sur cette période.'),
    'key': ('Service or user', 'Service ou utilisateur'),
    'quantity': ('Quantity', 'Quantité'),
    'total': ('Total', 'Total'),
    'purchase': ('Purchased', 'Achat'),
    'expiration': ('Expired', 'Expiration'),
    'transfer_in': ('Assigned from {team}', 'Affectés par {team}'),
    'transfer_out': ('Assigned to {team}', 'Affectés à {team}'),
    'no_events': (
        'No token events in the last 90 days.',
        'Aucun événement lié aux jetons au cours des 90 derniers jours.',
    ),
    'date': ('Date', 'Date'),
    'event': ('Event', 'Événement'),
    'to_team': ('To team', "Vers l'équipe"),
    'preview': ('Preview', 'Aperçu'),
    'confirm': ('Assign', 'Affecter'),
    'cancel': ('Cancel', 'Annuler'),
    'close': ('Close', 'Fermer'),
    'would_move': ('{quantity} expiring {date}', '{quantity} expirant le {date}'),
    'assigned': ('{quantity} assigned to {team}', '{quantity} affectés à {team}'),
    'unit_flex': ('tokens', 'jetons'),
    'unit_cloud': ('credits', 'crédits'),
}


def t(key: str, lang: str, **values: object) -> str:
    english, french = LABELS[key]
    return (french if lang == 'fr' else english).format(**values)


def number(value: Decimal | int, lang: str) -> str:
    """A quantity as the locale writes it (``1 250,5`` in French, ``1,250.5`` in English), exactly."""
    return format_decimal(value, format='#,##0.####', locale=LOCALES.get(lang, 'en_GB'))


def percent(share: Decimal, lang: str, *, green: bool) -> str:
    """A share as the locale writes percentages, with the decimals it takes never to read as the wrong side of 20 %
    (20.4 % available is healthy and must not show as "20 %", which is not)."""
    locale = LOCALES.get(lang, 'en_GB')
    pattern = Locale.parse(locale).percent_formats[None].pattern
    for decimals in range(5):
        form = pattern if not decimals else re.sub(r'0(\s*%)', '0.' + '0' * decimals + r'\1', pattern, count=1)
        text = format_percent(share, format=form, locale=locale)
        shown = (share * 100).quantize(Decimal(1).scaleb(-decimals))
        if not green or shown > 20:
            return text
    return text


def day(value: date, lang: str) -> str:
    return format_date(value, 'medium', locale=LOCALES.get(lang, 'en_GB'))


def period(value: date, bucket: str, lang: str) -> str:
    """A chart period: a day (``23 Nov 2026``), or a month (``Nov 2026``)."""
    if bucket == 'month':
        return format_date(value, 'LLL y', locale=LOCALES.get(lang, 'en_GB'))
    return day(value, lang)


def moment(value: datetime, lang: str, timezone: str = 'UTC') -> str:
    """A time of day in a time zone, named: ``09:39:33 CET``."""
    return format_datetime(value, 'HH:mm:ss zzz', tzinfo=ZoneInfo(timezone), locale=LOCALES.get(lang, 'en_GB'))
