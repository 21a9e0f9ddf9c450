"""Training and exams: rule packs, courses and hours, the question bank, exam papers, attempts,
and certificates. Inspections and their spot exams (逢查必考) live in ``compliance.inspections``,
which starts attempts here with ``occasion="spot_exam"``.

Invariants kept here and in ``training.services``:
- A question is never edited in place: an edit makes a new version (same ``family``), and an
  attempt points at the version it showed.
- An attempt's deadline is fixed by the server when it starts; answers saved after it are refused
  and grading uses only what was saved in time.
- Correct answers live on ``QuestionOption.is_correct`` and never leave the server while the
  taker may still sit the paper (serializers for workers never name that field; the one rule
  that lets keys out is ``training.selectors.answers_revealed``).
"""

from .courses import Attendance, Course, TrainingSession
from .exams import Attempt, AttemptQuestion, ExamPaper, PaperSection, Question, QuestionOption
from .records import (
    Certificate,
    CertificateReview,
    ManagerAssessmentSitting,
    Reminder,
    SupervisedPractice,
    _verify_token,
)
from .rules import (
    HoursRule,
    MineGroup,
    MineType,
    OperationType,
    PackValueSource,
    PostCategory,
    RulePack,
    SpecialOperationType,
    mine_group_of,
)

# _verify_token: migration 0001 names it as compliance.training.models._verify_token.
__all__ = [
    "Attempt",
    "AttemptQuestion",
    "Attendance",
    "Certificate",
    "CertificateReview",
    "Course",
    "ExamPaper",
    "HoursRule",
    "ManagerAssessmentSitting",
    "MineGroup",
    "MineType",
    "OperationType",
    "PackValueSource",
    "PaperSection",
    "PostCategory",
    "Question",
    "QuestionOption",
    "Reminder",
    "RulePack",
    "SpecialOperationType",
    "SupervisedPractice",
    "TrainingSession",
    "_verify_token",
    "mine_group_of",
]
