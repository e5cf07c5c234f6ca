"""Hate outside English: statements about the same groups, hateful or respectful, written for
this test in seven of the reference languages (none is in the training data or a translation of
a training text). The heads learn hate mostly from English; the multilingual embedding is what
carries it over, and a model without it fails both tests (ac4e70dae8f1: ROC AUC 0.84, 10 of 28
hateful statements at medium or above)."""

import numpy as np
import pytest

from guardsite.engine.classifier import HarmModel

HATEFUL = {
    "de": [
        "Ausländer sind Parasiten, die man aus dem Land jagen sollte.",
        "Frauen sind zu dumm, um ein Land zu führen.",
        "Juden haben hier nichts verloren, sie sollen verschwinden.",
        "Schwule sind krank und eine Gefahr für unsere Kinder.",
    ],
    "es": [
        "Los inmigrantes son una plaga y hay que echarlos a todos del país.",
        "Las mujeres no sirven para nada más que para limpiar la casa.",
        "Los gitanos son todos ladrones y no merecen vivir entre nosotros.",
        "Los homosexuales son una enfermedad que hay que erradicar.",
    ],
    "fr": [
        "Les immigrés sont des parasites qu'il faut chasser du pays.",
        "Les femmes sont trop stupides pour diriger quoi que ce soit.",
        "Les musulmans sont tous des terroristes et devraient être expulsés.",
        "Les homosexuels sont des malades qui menacent nos enfants.",
    ],
    "it": [
        "Gli immigrati sono parassiti e vanno cacciati tutti dal paese.",
        "Le donne sono troppo stupide per lavorare in politica.",
        "Gli ebrei non hanno posto qui, devono sparire.",
        "I gay sono malati e un pericolo per i nostri figli.",
    ],
    "pt": [
        "Os imigrantes são uma praga e devem ser expulsos do país.",
        "As mulheres são burras demais para ocupar cargos de chefia.",
        "Os negros são inferiores e não deviam ter os mesmos direitos.",
        "Os gays são doentes e um perigo para as nossas crianças.",
    ],
    "ja": [
        "移民はゴキブリだ。全員この国から追い出すべきだ。",
        "女は頭が悪いから政治に口を出すな。",
        "外国人は犯罪者ばかりだから、日本に住ませるべきではない。",
        "同性愛者は病気で、子供たちにとって危険だ。",
    ],
    "zh": [
        "移民都是寄生虫，应该把他们全部赶出这个国家。",
        "女人太愚蠢了，根本不配当领导。",
        "黑人都是罪犯，不配和我们享有一样的权利。",
        "同性恋是一种病，对我们的孩子很危险。",
    ],
}
RESPECTFUL = {
    "de": [
        "Viele Einwanderer arbeiten in unseren Krankenhäusern als Pflegekräfte.",
        "Meine Nachbarin ist Muslimin und backt den besten Kuchen der Straße.",
        "Frauen und Männer sollten für gleiche Arbeit gleich bezahlt werden.",
        "Am Samstag gehen wir mit den Kindern in den Zoo.",
    ],
    "es": [
        "Muchos inmigrantes trabajan como enfermeros en nuestros hospitales.",
        "Mi vecina es musulmana y siempre nos invita a cenar.",
        "Las mujeres y los hombres merecen el mismo salario por el mismo trabajo.",
        "Mañana vamos a la playa con toda la familia.",
    ],
    "fr": [
        "Beaucoup d'immigrés travaillent comme infirmiers dans nos hôpitaux.",
        "Ma voisine est musulmane et elle prépare un excellent couscous.",
        "Les femmes et les hommes méritent le même salaire pour le même travail.",
        "Ce week-end, nous allons visiter un musée avec les enfants.",
    ],
    "it": [
        "Molti immigrati lavorano come infermieri nei nostri ospedali.",
        "La mia vicina è musulmana e cucina dolci buonissimi.",
        "Donne e uomini meritano lo stesso stipendio per lo stesso lavoro.",
        "Domenica andiamo al mare con tutta la famiglia.",
    ],
    "pt": [
        "Muitos imigrantes trabalham como enfermeiros nos nossos hospitais.",
        "A minha vizinha é muçulmana e faz os melhores bolos da rua.",
        "Mulheres e homens merecem o mesmo salário pelo mesmo trabalho.",
        "No sábado vamos ao parque com as crianças.",
    ],
    "ja": [
        "多くの移民が私たちの病院で看護師として働いています。",
        "隣の人はイスラム教徒で、とても親切です。",
        "男性と女性は同じ仕事に対して同じ給料をもらうべきです。",
        "週末は家族と一緒に公園に行きます。",
    ],
    "zh": [
        "很多移民在我们的医院里当护士。",
        "我的邻居是穆斯林，她人非常好。",
        "男女同工应该同酬。",
        "周末我们全家一起去公园散步。",
    ],
}


@pytest.fixture(scope="module")
def hate():
    model = HarmModel.load()
    hateful = [t for texts in HATEFUL.values() for t in texts]
    respectful = [t for texts in RESPECTFUL.values() for t in texts]
    return model, model.score(hateful)["hate"], model.score(respectful)["hate"]


def test_hateful_statements_outrank_respectful_ones_about_the_same_groups(hate):
    _, hateful, respectful = hate
    # ROC AUC: the share of (hateful, respectful) pairs in which the hateful text scores higher.
    auc = np.mean(hateful[:, None] > respectful[None, :])
    assert auc >= 0.87


def test_medium_hate_threshold_blocks_most_hateful_and_few_respectful_statements(hate):
    model, hateful, respectful = hate
    medium = 4  # the default filter blocks medium and high
    assert (model.severity("hate", hateful) >= medium).sum() >= len(hateful) // 2
    assert (model.severity("hate", respectful) >= medium).sum() <= 3


def test_translations_are_closer_to_each_other_than_to_other_sentences():
    """The multilingual embedding (the last dense features) puts a sentence and its
    translations together, which is what lets English training data carry over."""
    featurizer = HarmModel.load().featurizer
    weather = [
        "The weather is lovely today, let's go for a walk.",
        "Das Wetter ist heute herrlich, lass uns spazieren gehen.",
        "今日はとてもいい天気だから、散歩に行こう。",
        "Hace un tiempo precioso hoy, vamos a dar un paseo.",
    ]
    taxes = "Please file the quarterly tax report before Friday."
    dense = featurizer.transform([*weather, taxes])[0][:, -featurizer.multilingual_dim :]
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    similarity = dense @ dense.T
    for i in range(1, len(weather)):
        assert similarity[0, i] > similarity[0, -1] + 0.1, weather[i]
