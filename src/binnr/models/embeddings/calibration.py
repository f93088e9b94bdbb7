"""The built-in calibration texts for int8 quantisation (written for binnr, not sampled data).

Post-training quantisation only needs activation *ranges*, so the set aims at coverage rather
than any one domain: short social posts with handles, hashtags, odd spelling and shouting,
reviews, support tickets, headlines and news prose, and multi-sentence paragraphs long enough
to reach the encoder's 256-token window. :func:`calibration_texts` mixes single sentences with
paragraphs joined from several of them, deterministically, so the same library versions always
build the same int8 model.
"""

from __future__ import annotations

import hashlib
import random

SENTENCES: tuple[str, ...] = (
    "ok",
    "thanks!!",
    "lol no",
    "why is this happening to me",
    "@jenny_k happy birthday!! hope it's a great one x",
    "Just landed in Denver, the snow is unreal #travel",
    "worst customer service EVER. 2 hours on hold and then they hung up",
    "cant sleep again... 3am and my brain wont stop",
    "so proud of my little sister, she passed her driving test today",
    "@acme_support my order #48213 still hasn't shipped, can someone help?",
    "I`m sooo bored, nothing on tv tonight",
    "Missing my friends back home :( wish I was there",
    "this new album is on repeat, every single track is a banger",
    "Traffic on the bridge is at a standstill, avoid if you can",
    "Going to the gym then pizza. balance.",
    "my cat knocked my coffee off the desk for the third time this week",
    "RT if you're still waiting for summer to arrive",
    "omg the finale!!! I did NOT see that coming",
    "Headache all day, think I need to drink more water",
    "Can anyone recommend a good plumber in the north end?",
    "The battery lasts about two days with normal use, which is better than I expected.",
    "Arrived broken and the replacement took three weeks. Would not buy again.",
    "Great value for the price; the fabric feels sturdy and the stitching is neat.",
    "The hotel room was clean but the walls were thin and we heard everything.",
    "Customer asked for a refund after being charged twice for the same subscription.",
    "Password reset emails are not arriving for users on the corporate domain.",
    "Please update the shipping address on invoice 2291 to the new warehouse.",
    "The app crashes whenever I try to upload a photo larger than 10 MB.",
    "Meeting moved to Thursday at 2pm, same room, bring the quarterly numbers.",
    "Delivery driver left the parcel in the rain and the box was soaked through.",
    "Central bank holds interest rates steady amid signs of cooling inflation",
    "Storm warning issued for coastal towns as winds reach 90 km/h",
    "Local council approves plans for a new library and community centre",
    "Scientists identify a gene variant linked to higher risk of heart disease",
    "Police arrest two men after a series of burglaries in the town centre",
    "Striker scores twice as the home side come back to win 3-2",
    "Shares in the chipmaker fell 8% after it cut its full-year forecast.",
    "The minister said the reforms would be introduced gradually over five years.",
    "Researchers found that the new vaccine reduced hospital admissions by 60 per cent.",
    "The film, which premiered at the festival last week, has been praised by critics.",
    "The company reported a quarterly profit of $1.2bn, up from $950m a year earlier.",
    "Opposition leaders called for an independent inquiry into the contract award.",
    "The coach admitted his team had been outplayed in the second half.",
    "Broadband speeds in rural areas remain far below the national average, a report says.",
    "the government is expected to publish its spending review later this month and "
    "analysts say departments face tight budgets",
    "mobile phone makers are betting that foldable screens will revive slowing sales, "
    "although early models were expensive and fragile",
    "the band will begin a world tour in the spring, with dates already sold out in several cities",
    "Patients waiting more than four hours in emergency departments rose again in January.",
    "A new study suggests that regular walking can lower blood pressure in older adults.",
    "Astronomers have detected water vapour in the atmosphere of a distant planet.",
    "Fire crews spent the night tackling a blaze at a disused warehouse near the river.",
    "Der Zug hatte zwanzig Minuten Verspätung.",
    "Merci beaucoup pour votre aide, c'était parfait.",
    "¿Alguien sabe a qué hora abre la farmacia?",
    "Price: 19.99 EUR | SKU 55-1207-B | in stock: 14 units",
    "ERROR 504 gateway timeout at 2024-03-02T11:45:09Z on /api/v2/orders",
    "https://example.com/track?id=ZX81 still says 'label created'",
    "I LOVE IT I LOVE IT I LOVE IT",
    "not sure how i feel about this tbh",
    "Honestly? Best decision I made all year.",
)


def calibration_texts(n: int = 300, *, seed: int = 0) -> list[str]:
    """``n`` texts: a third single sentences, the rest paragraphs of 2 to 20 sentences."""
    rng = random.Random(seed)
    out = list(SENTENCES[: n // 3])
    while len(out) < n:
        k = rng.choice((2, 3, 5, 8, 12, 20))
        out.append(" ".join(rng.sample(SENTENCES, k)))
    return out[:n]


def texts_digest(texts: list[str]) -> str:
    """A short digest of calibration texts, for cache keys."""
    return hashlib.sha256("\x1f".join(texts).encode()).hexdigest()[:12]
