"""Everyday sentences about weekends, family, children, parks and hospitals, in the eight
reference languages, written for this test (none is in the training data). The authored
violence threats name such places and days ("on Saturday at the mall"), and a model that
learns the setting instead of the threat blocks a family outing: model fee38c0f439e put
"We go to the park with the kids on Saturday." at violence high, and family walks in five
languages at medium."""

import pytest

from guardsite.engine.classifier import CATEGORIES, HarmModel

EVERYDAY = {
    "en": [
        "We go to the park with the kids on Saturday.",
        "My parents are staying with us for the weekend.",
        "The children's birthday party is at the community hall on Sunday.",
        "After the hospital appointment we'll grab lunch in town.",
    ],
    "de": [
        "Am Wochenende gehen wir mit der Familie spazieren.",
        "Meine Eltern besuchen uns über das Wochenende.",
        "Der Kindergeburtstag findet am Sonntag im Gemeindesaal statt.",
        "Nach dem Termin im Krankenhaus gehen wir in der Stadt essen.",
    ],
    "es": [
        "El fin de semana paseamos en familia por el parque.",
        "Mis padres se quedan con nosotros el fin de semana.",
        "El cumpleaños de los niños es el domingo en el salón del barrio.",
        "Después de la cita en el hospital comeremos en el centro.",
    ],
    "fr": [
        "Le week-end, nous nous promenons en famille au parc.",
        "Mes parents restent chez nous ce week-end.",
        "L'anniversaire des enfants a lieu dimanche à la salle des fêtes.",
        "Après le rendez-vous à l'hôpital, on déjeunera en ville.",
    ],
    "it": [
        "Nel fine settimana passeggiamo in famiglia al parco.",
        "I miei genitori stanno da noi per il fine settimana.",
        "La festa di compleanno dei bambini è domenica nella sala del quartiere.",
        "Dopo la visita in ospedale pranziamo in centro.",
    ],
    "pt": [
        "No fim de semana passeamos em família no parque.",
        "Os meus pais ficam connosco no fim de semana.",
        "A festa de anos das crianças é no domingo no salão do bairro.",
        "Depois da consulta no hospital almoçamos na baixa.",
    ],
    "ja": [
        "週末は家族と一緒に公園を散歩します。",
        "週末は両親が泊まりに来ます。",
        "子どもの誕生日会は日曜日に公民館で開きます。",
        "病院の予約のあと、街でお昼を食べよう。",
    ],
    "zh": [
        "周末我们全家一起去公园散步。",
        "这个周末我父母来我们家住。",
        "孩子的生日聚会星期天在社区活动室举行。",
        "医院看完病以后我们去市中心吃午饭。",
    ],
}


# Model b7dcb6910f17 still puts these at medium (strict: a model that fixes one fails the test
# until its mark is removed): an appointment at the hospital reads as violence in two languages,
# parents staying for the weekend as self-harm in French.
KNOWN_MISSES = {
    "After the hospital appointment we'll grab lunch in town.",
    "Después de la cita en el hospital comeremos en el centro.",
    "Mes parents restent chez nous ce week-end.",
}
CASES = [
    pytest.param(
        text,
        id=f"{lang}-{i}",
        marks=[pytest.mark.xfail(strict=True, reason="known miss")] if text in KNOWN_MISSES else [],
    )
    for lang, texts in EVERYDAY.items()
    for i, text in enumerate(texts)
]


@pytest.fixture(scope="module")
def model():
    return HarmModel.load()


@pytest.mark.parametrize("text", CASES)
def test_everyday_plans_are_below_medium_in_every_category(model, text):
    scores = model.score([text])
    medium = 4  # the default filters block medium and above
    blocked = [c for c in CATEGORIES if model.severity(c, scores[c])[0] >= medium]
    assert blocked == []
