"""The demo's people: generated deterministically (``random.Random`` with a fixed seed), so every
run builds the same names, resident ID numbers and employee numbers."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from stdnum.cn import ric

from tenants import roles
from tenants.models import Person

from .specs import (
    BIRTHPLACES,
    JOBS,
    LEADERS,
    LEAVING_REASONS,
    MINE_OFFICE,
    OTHER,
    PC,
    SEED,
    SUSPENSION_REASONS,
    TEAMS,
    WOMEN_POSTS,
    LoginSpec,
    MineSpec,
    TenantSpec,
)

# --- people ---------------------------------------------------------------------------------------
SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨黄赵赵吴周周徐孙马马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
    "袁潘蒋蔡余杜程苏魏吕丁任沈姚卢姜崔钟谭陆范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙龙史陶黎"
    "贺顾毛郝龚邵万严覃武戴安罗杨吴龙"
)
MALE_CHARS = (
    "伟强军勇磊涛斌明超刚平辉鹏华飞鑫波杰宇浩凯健俊峰林建国志文海东兵亮成德新龙云江庆福生贵忠永荣祥宏锋晓春"
)
FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲萍红梅琳雪莉婷英兰慧秀玉凤琴"
MOBILE_PREFIXES = (
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "182",
    "187",
    "188",
    "130",
    "131",
    "132",
    "155",
    "156",
    "185",
    "186",
    "133",
    "153",
    "180",
    "181",
    "189",
    "177",
)


@dataclass
class PersonSpec:
    name: str
    resident_id: str
    employee_no: str
    phone: str
    job_title: str
    post_category: str
    operation_type: str
    status: str = Person.Status.ON_POST
    status_reason: str = ""
    unit: str = ""  # "<mine>" or "<mine>/<team>"


class PeopleMaker:
    """Deterministic names, resident ID numbers and phone numbers, unique within a group."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.names: set[str] = set()
        self.ids: set[str] = set()
        self.phones: set[str] = set()

    def name(self, female: bool) -> str:
        chars = FEMALE_CHARS if female else MALE_CHARS
        while True:
            given = "".join(self.rng.choice(chars) for _ in range(self.rng.choice((1, 2, 2, 2))))
            name = self.rng.choice(SURNAMES) + given
            if name not in self.names:
                self.names.add(name)
                return name

    def resident_id(self, mine_region: str, birth_years: tuple[int, int], female: bool) -> str:
        pool = BIRTHPLACES[mine_region[:2]]
        while True:
            place = mine_region if self.rng.random() < 0.4 else self.rng.choice(pool)
            birth = datetime.date(
                self.rng.randint(*birth_years), self.rng.randint(1, 12), self.rng.randint(1, 28)
            )
            seq = self.rng.randrange(0, 500) * 2 + (0 if female else 1)  # odd: male, even: female
            body = f"{place}{birth:%Y%m%d}{seq:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self.ids and ric.is_valid(number):  # the place existed in that year
                self.ids.add(number)
                return number

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def person(self, *, title: str, unit: str, mine: MineSpec, employee_no: str) -> PersonSpec:
        category, operation = JOBS.get(title, OTHER)
        female = title in WOMEN_POSTS and self.rng.random() < 0.35
        if title in LEADERS:
            years = (1967, 1982)
        elif title in ("安全科科长", "技术负责人", "队长", "班长"):
            years = (1970, 1990)
        else:
            years = (1968, 2003)
        return PersonSpec(
            name=self.name(female),
            resident_id=self.resident_id(mine.region_code, years, female),
            employee_no=employee_no,
            phone=self.phone(),
            job_title=title,
            post_category=category,
            operation_type=operation,
            unit=unit,
        )


def people_of(spec: TenantSpec) -> list[PersonSpec]:
    """Every person of a group, with a few suspended from post (下岗) and a few gone."""
    maker = PeopleMaker(SEED + sum(map(ord, spec.key)))
    people: list[PersonSpec] = []
    for sub in spec.subsidiaries:
        for mine in sub.mines:
            seq = 0
            places = [(mine.name, MINE_OFFICE[mine.mine_type])] + [
                (f"{mine.name}/{team}", posts) for team, posts in TEAMS[mine.mine_type]
            ]
            for unit, posts in places:
                for title, count in posts:
                    for _ in range(count):
                        seq += 1
                        people.append(
                            maker.person(
                                title=title,
                                unit=unit,
                                mine=mine,
                                employee_no=f"{spec.key.upper()}{mine.no:02d}{seq:03d}",
                            )
                        )
    # Whoever gets a worker login stays on post; managers and team heads stay too.
    reserved = {_login_person_index(people, login) for login in spec.logins if login.role == roles.WORKER}
    eligible = [
        i
        for i, p in enumerate(people)
        if i not in reserved
        and p.post_category in (PC.OTHER, PC.SPECIAL_OPERATION)
        and p.job_title not in ("队长", "班长")
    ]
    chosen = maker.rng.sample(eligible, 7)
    for n, index in enumerate(chosen[:4]):
        people[index].status = Person.Status.SUSPENDED
        people[index].status_reason = SUSPENSION_REASONS[n % len(SUSPENSION_REASONS)]
    for n, index in enumerate(chosen[4:]):
        people[index].status = Person.Status.LEFT
        people[index].status_reason = LEAVING_REASONS[n % len(LEAVING_REASONS)]
    return people


def _login_person_index(people: list[PersonSpec], login: LoginSpec) -> int:
    for index, person in enumerate(people):
        if person.unit == login.unit and person.job_title == login.job_title:
            return index
    raise LookupError(f"no {login.job_title} at {login.unit} for {login.username}")
