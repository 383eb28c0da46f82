"""Raw material of the demo data set: accounts, institutions, study types with their series and
report texts, patient names.

Plain data, no logic: `demo_data` draws from it with a seeded random generator.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SeriesKind:
    description: str
    instances: tuple[int, int]  # inclusive range of the number of instances
    modality: str | None = None  # None: the study's first modality


@dataclass(frozen=True)
class StudyKind:
    description: str
    modalities: tuple[str, ...]
    body_part: str
    series: tuple[SeriesKind, ...]
    indications: tuple[str, ...]
    results: tuple[tuple[str, str], ...]  # (findings, conclusion)
    requested_by: tuple[str, ...]  # professions that typically ask for it


def _s(description: str, low: int, high: int, modality: str | None = None) -> SeriesKind:
    return SeriesKind(description, (low, high), modality)


GP, DENT, SPEC = "PHYSICIAN", "DENTIST", "SPECIALIST"
DEMO_PASSWORD = "demo-password-2026"
BART_TOTP_SECRET = base64.b32encode(b"bart-claes-totp-demo").decode()

# (environment, username, display name, profession, extra fields)
ACCOUNTS: tuple[tuple[str, str, str, str | None, dict[str, Any]], ...] = (
    ("BE", "an.peeters@example.be", "Dr. An Peeters", "PHYSICIAN",
     {"phoneNumber": "+32470000001", "eidSubject": "85073100123"}),
    ("BE", "bart.claes@example.be", "Dr. Bart Claes", "PHYSICIAN",
     {"totpSecrets": [BART_TOTP_SECRET]}),
    ("BE", "chloe.maes@example.be", "Dr. Chloé Maes", "DENTIST", {}),
    ("BE", "dirk.wouters@example.be", "Dr. Dirk Wouters", "SPECIALIST", {}),
    ("BE", "els.jacobs@example.be", "Dr. Els Jacobs", "PHYSICIAN", {}),
    ("BE", "filip.mertens@example.be", "Dr. Filip Mertens", "DENTIST", {}),
    ("BE", "greet.willems@example.be", "Dr. Greet Willems", "SPECIALIST", {}),
    ("BE", "hans.goossens@example.be", "Dr. Hans Goossens", "PHYSICIAN", {}),
    ("BE", "ines.dubois@example.be", "Dr. Inès Dubois", "PHYSICIAN",
     {"status": "PENDING_APPROVAL"}),
    ("BE", "jan.lambert@example.be", "Dr. Jan Lambert", "SPECIALIST", {"status": "DISABLED"}),
    ("BE", "servicedesk@studygate.example", "StudyGate Service Desk", None,
     {"role": "SERVICE_DESK"}),
    ("NL", "lotte.devries@example.nl", "Dr. Lotte de Vries", "PHYSICIAN", {}),
    ("NL", "pieter.bakker@example.nl", "Dr. Pieter Bakker", "DENTIST", {}),
)
PROFESSION = {username: profession for _, username, _, profession, _ in ACCOUNTS}
# Who refers studies, and how often; the disabled account keeps its old studies.
REFERRERS = {
    "BE": {"an.peeters@example.be": 6, "bart.claes@example.be": 5, "chloe.maes@example.be": 3,
           "dirk.wouters@example.be": 4, "els.jacobs@example.be": 5, "filip.mertens@example.be": 3,
           "greet.willems@example.be": 3, "hans.goossens@example.be": 4,
           "jan.lambert@example.be": 1},
    "NL": {"lotte.devries@example.nl": 3, "pieter.bakker@example.nl": 1},
}


def institutions() -> list[dict[str, Any]]:
    """The demo institutions, a fresh list each call (callers may change it)."""
    return [
        {"code": "AZX", "name": "AZ Example", "environment": "BE",
         "policy": {"practitionerImages": True, "practitionerReport": True, "patientImages": True,
                    "patientReport": True, "patientReportDelayHours": 0,
                    "patientFee": {"amount": "12.50", "currency": "EUR"}}},
        # A private radiology practice: reports reach physicians through eHealthBox, not the
        # portal, and patients read theirs only a day after signing.
        {"code": "RADB", "name": "Radiologie Brussel", "environment": "BE",
         "policy": {"practitionerImages": True, "practitionerReport": False, "patientImages": True,
                    "patientReport": True, "patientReportDelayHours": 24, "patientFee": None}},
        {"code": "NWZ", "name": "Noordwest Ziekenhuis Demo", "environment": "NL",
         "policy": {"practitionerImages": True, "practitionerReport": True, "patientImages": True,
                    "patientReport": True, "patientReportDelayHours": 0, "patientFee": None}},
    ]


STUDY_KINDS: tuple[StudyKind, ...] = (
    StudyKind(
        "CT thorax without contrast", ("CT",), "CHEST",
        (_s("Axial 1 mm lung", 250, 400), _s("Axial 3 mm mediastinum", 90, 130),
         _s("Coronal MPR", 80, 120), _s("Sagittal MPR", 80, 120), _s("Scout", 1, 2)),
        ("persistent cough for 6 weeks", "follow-up of a pulmonary nodule", "dyspnoea on exertion"),
        (("No pulmonary nodules or consolidation. No pleural effusion. Normal mediastinum.",
          "Normal CT of the chest."),
         ("A 6 mm solid nodule in the right upper lobe, unchanged since the previous study.",
          "Stable 6 mm nodule; a follow-up CT in 12 months is suggested.")),
        (GP, SPEC),
    ),
    StudyKind(
        "CT abdomen and pelvis with IV contrast", ("CT",), "ABDOMEN",
        (_s("Portal venous phase axial 3 mm", 150, 220), _s("Coronal MPR", 90, 130),
         _s("Sagittal MPR", 90, 130), _s("Scout", 1, 2)),
        ("pain in the right lower quadrant", "unexplained weight loss"),
        (("Normal liver, spleen, pancreas and kidneys. No free fluid. Normal appendix.",
          "No abnormality to explain the complaints."),
         ("The appendix measures 11 mm with periappendiceal fat stranding. No abscess.",
          "Findings consistent with acute appendicitis.")),
        (GP,),
    ),
    StudyKind(
        "CT brain without contrast", ("CT",), "HEAD",
        (_s("Axial 5 mm", 30, 36), _s("Axial 1 mm bone window", 140, 180), _s("Scout", 1, 1)),
        ("headache for two weeks", "fall with head trauma, on anticoagulants"),
        (("No intracranial haemorrhage, mass or recent infarct. Normal ventricles.",
          "Normal CT of the brain."),
         ("Periventricular white matter hypodensities. No haemorrhage.",
          "Moderate chronic small vessel disease; no acute abnormality.")),
        (GP, SPEC),
    ),
    StudyKind(
        "Cone beam CT of the mandible", ("CT",), "JAW",
        (_s("CBCT volume 0.2 mm", 400, 600), _s("Panoramic reconstruction", 1, 1),
         _s("Cross-sections", 40, 60)),
        ("planning of an implant at 36", "impacted lower third molar"),
        (("Bone height 11 mm and width 7 mm at 36; mandibular canal 4 mm below the apex.",
          "Sufficient bone for a standard implant at 36."),
         ("Horizontally impacted 38 in contact with the mandibular canal.",
          "Close relation of 38 to the inferior alveolar nerve; surgical caution advised.")),
        (DENT,),
    ),
    StudyKind(
        "MRI knee left", ("MR",), "KNEE",
        (_s("Sag PD fat-sat", 24, 32), _s("Cor PD fat-sat", 24, 32), _s("Ax PD fat-sat", 24, 32),
         _s("Sag T1", 24, 32), _s("Cor T1", 24, 32)),
        ("pain after a twisting injury", "locking of the knee"),
        (("Oblique tear of the posterior horn of the medial meniscus; intact ligaments.",
          "Tear of the medial meniscus."),
         ("Menisci and ligaments intact. Small joint effusion.", "No internal derangement.")),
        (SPEC, GP),
    ),
    StudyKind(
        "MRI lumbar spine", ("MR",), "LSPINE",
        (_s("Sag T1", 15, 17), _s("Sag T2", 15, 17), _s("Sag STIR", 15, 17),
         _s("Ax T2 L3-S1", 30, 45)),
        ("sciatica in the left leg", "low back pain for three months"),
        (("Left paracentral disc herniation at L5-S1 contacting the left S1 nerve root.",
          "L5-S1 disc herniation compatible with the left-sided sciatica."),
         ("Mild disc degeneration at L4-L5 without canal or foraminal stenosis.",
          "Degenerative changes only; no nerve root compression.")),
        (SPEC, GP),
    ),
    StudyKind(
        "MRI brain with contrast", ("MR",), "HEAD",
        (_s("Ax FLAIR", 24, 30), _s("Ax DWI", 48, 60), _s("Ax T2", 24, 30),
         _s("Sag 3D T1", 160, 192), _s("Ax T1 post-contrast", 24, 30), _s("Ax SWI", 60, 90)),
        ("recurrent headaches with visual aura", "dizziness"),
        (("No abnormal enhancement, no diffusion restriction, no mass.",
          "Normal MRI of the brain."),
         ("Three small non-specific white matter lesions, none enhancing.",
          "Non-specific white matter lesions, most likely vascular.")),
        (GP, SPEC),
    ),
    StudyKind(
        "MRI shoulder right", ("MR",), "SHOULDER",
        (_s("Cor PD fat-sat", 20, 26), _s("Sag T2 fat-sat", 20, 26), _s("Ax PD", 24, 30),
         _s("Cor T1", 20, 26)),
        ("pain on abduction", "weakness after a fall"),
        (("Partial-thickness articular-side tear of the supraspinatus tendon.",
          "Partial supraspinatus tear."),
         ("Tendinopathy of the supraspinatus without tear. Subacromial bursitis.",
          "Supraspinatus tendinopathy and bursitis.")),
        (SPEC,),
    ),
    StudyKind(
        "Ultrasound abdomen", ("US",), "ABDOMEN",
        (_s("Liver and gallbladder", 10, 30), _s("Kidneys", 6, 20),
         _s("Pancreas and spleen", 4, 12)),
        ("upper abdominal pain after meals", "abnormal liver tests"),
        (("Several gallstones up to 12 mm; normal gallbladder wall. Normal bile ducts.",
          "Cholecystolithiasis without signs of cholecystitis."),
         ("Homogeneous liver of normal size. Normal kidneys and spleen.",
          "Normal abdominal ultrasound.")),
        (GP,),
    ),
    StudyKind(
        "Ultrasound thyroid", ("US",), "NECK",
        (_s("Thyroid transverse", 8, 16), _s("Thyroid longitudinal", 8, 16)),
        ("palpable nodule in the neck", "hypothyroidism"),
        (("A 9 mm solid isoechoic nodule in the left lobe without calcifications.",
          "TI-RADS 3 nodule; follow-up ultrasound in one year."),
         ("Thyroid of normal size and echotexture.", "Normal thyroid ultrasound.")),
        (GP, SPEC),
    ),
    StudyKind(
        "Doppler ultrasound of the right leg veins", ("US",), "LEG",
        (_s("Compression series", 12, 24), _s("Colour Doppler", 8, 16)),
        ("swollen painful right calf",),
        (("All deep veins are compressible with normal flow.", "No deep vein thrombosis."),
         ("Non-compressible popliteal vein with intraluminal thrombus.",
          "Deep vein thrombosis of the right popliteal vein.")),
        (GP,),
    ),
    StudyKind(
        "Chest X-ray PA and lateral", ("CR",), "CHEST",
        (_s("PA", 1, 1), _s("Lateral", 1, 1)),
        ("fever and cough", "pre-operative assessment"),
        (("Clear lungs. Normal heart size. No pleural effusion.", "Normal chest X-ray."),
         ("Consolidation in the right lower lobe.", "Right lower lobe pneumonia.")),
        (GP,),
    ),
    StudyKind(
        "X-ray of the right wrist", ("CR",), "HAND",
        (_s("PA", 1, 1), _s("Lateral", 1, 1), _s("Oblique", 1, 1)),
        ("fall on the outstretched hand",),
        (("Non-displaced transverse fracture of the distal radius.", "Distal radius fracture."),
         ("No fracture or dislocation.", "Normal wrist.")),
        (GP, SPEC),
    ),
    StudyKind(
        "Dental panoramic radiograph", ("CR",), "JAW",
        (_s("Panoramic", 1, 1),),
        ("routine dental check-up", "toothache lower right"),
        (("Periapical lucency at the root apex of 46.", "Apical periodontitis at 46."),
         ("No periapical lesions. All third molars erupted.", "No abnormality.")),
        (DENT,),
    ),
    StudyKind(
        "X-ray of the left knee, standing", ("CR",), "KNEE",
        (_s("AP standing", 1, 1), _s("Lateral", 1, 1), _s("Skyline", 1, 1)),
        ("knee pain on walking",),
        (("Narrowing of the medial joint space with osteophytes.", "Medial knee osteoarthritis."),
         ("Normal joint spaces and alignment.", "Normal knee.")),
        (SPEC, GP),
    ),
    StudyKind(
        "Screening mammography", ("MG",), "BREAST",
        (_s("R CC", 1, 1), _s("L CC", 1, 1), _s("R MLO", 1, 1), _s("L MLO", 1, 1)),
        ("population screening",),
        (("Scattered fibroglandular tissue. No mass, distortion or suspicious calcifications.",
          "BI-RADS 1: negative."),
         ("Scattered benign vascular calcifications.", "BI-RADS 2: benign findings.")),
        (GP,),
    ),
    StudyKind(
        "Diagnostic mammography and breast ultrasound", ("MG", "US"), "BREAST",
        (_s("R CC", 1, 1), _s("R MLO", 1, 1), _s("R spot compression", 1, 2),
         _s("Ultrasound right breast", 10, 20, "US")),
        ("palpable lump in the right breast",),
        (("A 12 mm oval circumscribed mass at 10 o'clock, a simple cyst on ultrasound.",
          "BI-RADS 2: simple cyst."),
         ("An 8 mm irregular hypoechoic mass at 2 o'clock.",
          "BI-RADS 4: biopsy recommended.")),
        (GP, SPEC),
    ),
)

KIND_BY_DESCRIPTION = {kind.description: kind for kind in STUDY_KINDS}

RADIOLOGISTS = {
    "BE": ("Dr. Sofie Vermeulen, radiologist", "Dr. Koen Verhoeven, radiologist",
           "Dr. Lies Van den Broeck, radiologist"),
    "NL": ("Dr. M. van Dijk, radioloog", "Dr. J. Visser, radioloog"),
}

# Patient names: none is also a practitioner's or radiologist's name.
FAMILY_NAMES = {
    "BE": ("Janssens", "Desmet", "Lambrecht", "Hermans", "Aerts", "Van Damme", "Lemaire",
           "Michiels", "Smets", "Segers", "Coppens", "Martens", "De Clercq", "Verstraete",
           "Lenaerts", "Cools", "Thys", "Leclercq", "Dupont", "Renard", "Simon", "Laurent",
           "Pauwels", "Verbeke", "De Backer", "Van Acker", "Bogaert", "Wuyts", "Hendrickx"),
    "NL": ("de Jong", "Jansen", "van den Berg", "Smit", "Meijer", "Mulder", "de Boer", "Vos",
           "Hendriks", "Dekker"),
}
GIVEN_NAMES = {
    ("BE", "F"): ("Marie", "Emma", "Louise", "Sarah", "Julie", "Laura", "Nathalie", "Anna",
                  "Elise", "Fien", "Camille", "Hilde", "Martine", "Christine"),
    ("BE", "M"): ("Lucas", "Noah", "Arthur", "Louis", "Thomas", "Wout", "Luc", "Marc",
                  "Patrick", "Geert", "Stijn", "Bram", "Jonas", "Yves"),
    ("NL", "F"): ("Sanne", "Femke", "Julia", "Anouk", "Lisa"),
    ("NL", "M"): ("Daan", "Sem", "Lars", "Ruben", "Thijs"),
}
