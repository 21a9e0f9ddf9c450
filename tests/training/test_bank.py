"""Question bank services: versioning, retiring, validation messages, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from compliance.audit.models import AuditEvent
from compliance.training import bank, selectors
from compliance.training.models import Question, QuestionOption
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

pytestmark = pytest.mark.django_db

SINGLE = {"type": "single", "stem": "井下瓦斯浓度达到多少必须撤人？", "topic": "瓦斯防治", "difficulty": 2}
SINGLE_OPTIONS = [
    {"text": "0.5%", "is_correct": False},
    {"text": "1.0%", "is_correct": False},
    {"text": "1.5%", "is_correct": True},
]


def make_question(world, data=None, options=None, unit=None, role=roles.SAFETY_MANAGER):
    user = world.a.users[role]
    with activate(world.a.scope(role)):
        return bank.create_question(unit or world.a.mine, data or SINGLE, options or SINGLE_OPTIONS, user)


def errors_of(exc: ValidationError) -> dict:
    return exc.message_dict


def test_create_saves_version_one_with_options_and_audits(world):
    question = make_question(world)
    with dangerously_platform_scope():
        question = Question.objects.get(pk=question.pk)
        assert (question.version, question.is_current, question.tenant_id) == (1, True, world.a.tenant.pk)
        options = list(QuestionOption.objects.filter(question=question))
        assert [(o.position, o.text, o.is_correct) for o in options] == [
            (1, "0.5%", False),
            (2, "1.0%", False),
            (3, "1.5%", True),
        ]
        event = AuditEvent.objects.get(action="create", object_id=str(question.pk))
        assert event.after["options"][2] == {"text": "1.5%", "is_correct": True}


def test_edit_makes_version_two_and_leaves_version_one_untouched(world):
    v1 = make_question(world)
    changed = [dict(o) for o in SINGLE_OPTIONS] + [{"text": "2.0%", "is_correct": False}]
    with activate(world.a.scope(roles.SAFETY_MANAGER)):
        v2 = bank.edit_question(v1, SINGLE | {"stem": "新题干"}, changed, world.a.users[roles.SAFETY_MANAGER])
    with dangerously_platform_scope():
        versions = list(Question.objects.filter(family=v1.family).order_by("version"))
        assert [(q.version, q.is_current) for q in versions] == [(1, False), (2, True)]
        old, new = versions
        assert old.pk == v1.pk and old.stem == SINGLE["stem"]
        assert list(old.options.values_list("text", flat=True)) == ["0.5%", "1.0%", "1.5%"]
        assert new.pk == v2.pk and new.stem == "新题干" and new.options.count() == 4
        # Exactly one current version per family.
        assert Question.objects.filter(family=v1.family, is_current=True).count() == 1
        event = AuditEvent.objects.get(action="update", object_id=str(v2.pk))
        assert event.before["stem"] == SINGLE["stem"] and event.after["version"] == 2


def test_an_unchanged_edit_makes_no_version(world):
    v1 = make_question(world)
    with activate(world.a.scope(roles.SAFETY_MANAGER)):
        same = bank.edit_question(v1, SINGLE, SINGLE_OPTIONS)
    assert same.pk == v1.pk
    with dangerously_platform_scope():
        assert Question.objects.filter(family=v1.family).count() == 1


def test_only_the_current_version_can_be_edited(world):
    v1 = make_question(world)
    with activate(world.a.scope(roles.SAFETY_MANAGER)):
        bank.edit_question(v1, SINGLE | {"stem": "第二版"}, SINGLE_OPTIONS)
        with pytest.raises(ValidationError):
            bank.edit_question(v1, SINGLE | {"stem": "第三版"}, SINGLE_OPTIONS)


def test_retire_leaves_no_current_version_but_keeps_history(world):
    v1 = make_question(world)
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        v2 = bank.edit_question(v1, SINGLE | {"stem": "第二版"}, SINGLE_OPTIONS)
        bank.retire_question(v2)
        assert not Question.objects.filter(family=v1.family, is_current=True).exists()
        assert [q.version for q in selectors.question_history(scope=scope, question=v1)] == [2, 1]
        assert [q.pk for q in selectors.question_list(scope=scope, retired=True)] == [v2.pk]
        assert list(selectors.question_list(scope=scope)) == []
        with pytest.raises(ValidationError):
            bank.retire_question(v2)


@pytest.mark.parametrize(
    "data, options, field, message",
    [
        (SINGLE | {"stem": "  "}, SINGLE_OPTIONS, "stem", "请输入题干。"),
        (SINGLE | {"type": "essay"}, SINGLE_OPTIONS, "type", "请选择题型：单选题、多选题或判断题。"),
        (SINGLE | {"difficulty": 4}, SINGLE_OPTIONS, "difficulty", "难度为 1（易）、2（中）或 3（难）。"),
        (
            SINGLE | {"post_categories": ["miner"]},
            SINGLE_OPTIONS,
            "post_categories",
            "miner 不是已知的岗位类别。",
        ),
        (SINGLE | {"mine_types": ["gold"]}, SINGLE_OPTIONS, "mine_types", "gold 不是已知的矿山类型。"),
        (SINGLE, [{"text": "甲", "is_correct": True}], "options", "单选题至少需要 2 个选项。"),
        (
            SINGLE,
            [{"text": "甲", "is_correct": True}, {"text": "乙", "is_correct": True}],
            "options",
            "单选题有且只有一个正确选项，现在标记了 2 个。",
        ),
        (
            SINGLE | {"type": "multiple"},
            [{"text": "甲", "is_correct": True}, {"text": "乙", "is_correct": True}],
            "options",
            "多选题至少需要 3 个选项。",
        ),
        (
            SINGLE | {"type": "multiple"},
            [{"text": t, "is_correct": t == "甲"} for t in "甲乙丙"],
            "options",
            "多选题至少有两个正确选项，现在标记了 1 个。",
        ),
        (
            SINGLE | {"type": "true_false"},
            [{"text": "对", "is_correct": True}, {"text": "错", "is_correct": False}],
            "options",
            "判断题只有“正确”和“错误”两个选项，其中一个正确。",
        ),
        (
            SINGLE,
            [{"text": "甲", "is_correct": False}, {"text": "", "is_correct": True}, {"text": "丙"}],
            "options",
            "选项 B 被标为正确，但没有内容。",
        ),
    ],
)
def test_validation_says_what_is_wrong_in_chinese(world, data, options, field, message):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        make_question(world, data, options)
    assert message in errors_of(caught.value)[field]
    with dangerously_platform_scope():
        assert not Question.objects.exists()


def test_true_false_is_stored_as_the_two_fixed_options(world):
    question = make_question(world, SINGLE | {"type": "true_false"}, bank.true_false_options(False)[::-1])
    with dangerously_platform_scope():
        assert list(question.options.values_list("text", "is_correct")) == [("正确", False), ("错误", True)]


def test_multiple_choice_with_two_correct_of_three_is_valid(world):
    options = [{"text": t, "is_correct": t != "丙"} for t in "甲乙丙"]
    question = make_question(world, SINGLE | {"type": "multiple"}, options)
    with dangerously_platform_scope():
        assert question.options.filter(is_correct=True).count() == 2


def test_writes_need_manage_training_at_the_unit(world):
    with activate(world.a.scope(roles.HQ_AUDITOR)), pytest.raises(PermissionDenied):
        bank.create_question(world.a.mine, SINGLE, SINGLE_OPTIONS)
    # A safety manager of one mine may not write into the group's bank at HQ.
    with activate(world.a.scope(roles.SAFETY_MANAGER)), pytest.raises(PermissionDenied):
        bank.create_question(world.a.hq, SINGLE, SINGLE_OPTIONS)
    question = make_question(world, role=roles.TENANT_ADMIN, unit=world.a.hq)
    with activate(world.a.scope(roles.SAFETY_MANAGER)), pytest.raises(PermissionDenied):
        bank.edit_question(question, SINGLE | {"stem": "改"}, SINGLE_OPTIONS)


def test_the_bank_is_invisible_to_regulators_workers_and_the_other_tenant(world):
    question = make_question(world)
    from tenants.selectors import scope_for_user

    for user in (world.regulator_in, world.a.users[roles.WORKER], world.b.users[roles.TENANT_ADMIN]):
        with activate(scope_for_user(user)) as scope:
            assert not Question.objects.filter(pk=question.pk).exists()
            assert not QuestionOption.objects.filter(question_id=question.pk).exists()
            assert list(selectors.question_list(scope=scope)) == []


def test_filters(world):
    a = make_question(
        world, SINGLE | {"post_categories": ["special_operation"], "mine_types": ["coal_underground"]}
    )
    b = make_question(
        world,
        {"type": "true_false", "stem": "判断一下", "topic": "法律法规", "difficulty": 1},
        bank.true_false_options(True),
    )
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:

        def ids(**filters):
            return {q.pk for q in selectors.question_list(scope=scope, **filters)}

        assert ids() == {a.pk, b.pk}
        assert ids(type="true_false") == {b.pk}
        assert ids(topic="瓦斯防治") == {a.pk}
        assert ids(difficulty=1) == {b.pk}
        assert ids(search="判断") == {b.pk}
        # An untagged question suits every post category and mine type.
        assert ids(post_category="principal") == {b.pk}
        assert ids(post_category="special_operation") == {a.pk, b.pk}
        assert ids(mine_type="metal_open_pit") == {b.pk}
        assert selectors.question_topics(scope=scope) == ["法律法规", "瓦斯防治"]
