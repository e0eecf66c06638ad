"""Building blocks for the bundled catalog: agencies, categories and shared fields.

The catalog is data, but written by hand it would repeat the same mobile
number field sixty times in three languages; here each shared field is
written once, so a wording fix reaches every service. Run
`python -m tools.catalog_src` to regenerate `kiosk/data/catalog.json`.
"""

from __future__ import annotations

from typing import Any


def T(ka: str, en: str, ru: str) -> dict[str, str]:  # noqa: N802 - reads like a literal
    """One text in the three languages, Georgian first as on the portal."""
    return {"ka": ka, "en": en, "ru": ru}


def words(ka: str, en: str, ru: str) -> dict[str, list[str]]:
    """Search keywords per language, given as space-separated words."""
    return {"ka": ka.split(), "en": en.split(), "ru": ru.split()}


def field(name: str, kind: str, label: dict[str, str], required: bool = True,
          help: dict[str, str] | None = None, **rules: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": kind, "label": label, "required": required}
    if help:
        out["help"] = help
    out.update(rules)
    return out


def choice(name: str, label: dict[str, str], options: list[tuple[str, dict[str, str]]],
           required: bool = True, multi: bool = False, **rules: Any) -> dict[str, Any]:
    return field(name, "multi_choice" if multi else "choice", label, required,
                 choices=[{"value": value, "label": text} for value, text in options], **rules)


def service(  # noqa: PLR0917 - one call per service reads like a table row
        id: str, category: str, agency: str, name: dict[str, str],
        description: dict[str, str], keywords: dict[str, list[str]],
        form: list[dict[str, Any]], *, mode: str = "queueable", kind: str = "submission",
        fee: str | None = None, lookup: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": id, "category": category, "agency": agency, "mode": mode, "kind": kind,
        "name": name, "description": description, "keywords": keywords, "form": form,
    }
    if lookup:
        out["lookup"] = lookup
    if fee:
        out["fee_gel"] = fee
    return out


AGENCIES = [
    ("psda", T("საჯარო სერვისების განვითარების სააგენტო", "Public Service Development Agency",
               "Агентство развития государственных услуг")),
    ("napr", T("საჯარო რეესტრის ეროვნული სააგენტო", "National Agency of Public Registry",
               "Национальное агентство публичного реестра")),
    ("dea", T("მონაცემთა გაცვლის სააგენტო", "Data Exchange Agency", "Агентство обмена данными")),
    ("moj", T("საქართველოს იუსტიციის სამინისტრო", "Ministry of Justice of Georgia",
              "Министерство юстиции Грузии")),
    ("mia-iad", T("შსს საინფორმაციო-ანალიტიკური დეპარტამენტი",
                  "Information and Analytical Department of the Ministry of Internal Affairs",
                  "Информационно-аналитический департамент МВД")),
    ("mia-service", T("შსს მომსახურების სააგენტო", "Service Agency of the Ministry of Internal Affairs",
                      "Сервисное агентство МВД")),
    ("patrol", T("შსს საპატრულო პოლიციის დეპარტამენტი", "Patrol Police Department",
                 "Департамент патрульной полиции МВД")),
    ("rs", T("შემოსავლების სამსახური", "Revenue Service", "Служба доходов")),
    ("ssa", T("სოციალური მომსახურების სააგენტო", "Social Service Agency",
              "Агентство социального обслуживания")),
    ("moh", T("შრომის, ჯანმრთელობისა და სოციალური დაცვის სამინისტრო",
              "Ministry of Labour, Health and Social Affairs",
              "Министерство труда, здравоохранения и социальной защиты")),
    ("ncdc", T("დაავადებათა კონტროლისა და საზოგადოებრივი ჯანმრთელობის ეროვნული ცენტრი",
               "National Center for Disease Control and Public Health",
               "Национальный центр по контролю заболеваний и общественного здоровья")),
    ("pension-agency", T("საპენსიო სააგენტო", "Pension Agency", "Пенсионное агентство")),
    ("idp-agency", T("დევნილთა, ეკომიგრანტთა და საარსებო წყაროებით უზრუნველყოფის სააგენტო",
                     "Agency for IDPs, Ecomigrants and Livelihood Provision",
                     "Агентство по делам ВПЛ, экомигрантов и обеспечению средствами к существованию")),
    ("nbe", T("აღსრულების ეროვნული ბიურო", "National Bureau of Enforcement",
              "Национальное бюро исполнения")),
    ("mes", T("განათლებისა და მეცნიერების სამინისტრო", "Ministry of Education and Science",
              "Министерство образования и науки")),
    ("eqe", T("განათლების ხარისხის განვითარების ეროვნული ცენტრი",
              "National Center for Educational Quality Enhancement",
              "Национальный центр развития качества образования")),
    ("naec", T("შეფასებისა და გამოცდების ეროვნული ცენტრი",
               "National Assessment and Examinations Center",
               "Национальный центр оценки и экзаменов")),
    ("tbilisi", T("თბილისის მერია", "Tbilisi City Hall", "Мэрия Тбилиси")),
    ("pdps", T("პერსონალურ მონაცემთა დაცვის სამსახური", "Personal Data Protection Service",
               "Служба защиты персональных данных")),
    ("public-defender", T("საქართველოს სახალხო დამცველი", "Public Defender of Georgia",
                          "Народный защитник Грузии")),
    ("archive", T("საქართველოს ეროვნული არქივი", "National Archives of Georgia",
                  "Национальный архив Грузии")),
    ("notary", T("საქართველოს ნოტარიუსთა პალატა", "Notary Chamber of Georgia",
                 "Нотариальная палата Грузии")),
    ("legal-aid", T("იურიდიული დახმარების სამსახური", "Legal Aid Service",
                    "Служба юридической помощи")),
    ("utilities", T("კომუნალური მომსახურების მიმწოდებლები", "Utility providers",
                    "Поставщики коммунальных услуг")),
]

# The ten categories in the brochure's order and words.
CATEGORIES = [
    ("personal", T("პირადი ინფორმაცია", "Personal information", "Личная информация"), "account"),
    ("family", T("ოჯახი", "Family", "Семья"), "account-group"),
    ("health", T("ჯანმრთელობა", "Health", "Здоровье"), "heart-pulse"),
    ("social", T("სოციალური მომსახურება", "Social services", "Социальные услуги"), "hand-heart"),
    ("property", T("ქონება", "Property", "Имущество"), "home-city"),
    ("business", T("ბიზნესი", "Business", "Бизнес"), "briefcase"),
    ("taxes", T("გადასახადები", "Taxes", "Налоги"), "calculator"),
    ("fines", T("ჯარიმები", "Fines", "Штрафы"), "gavel"),
    ("education", T("განათლება", "Education", "Образование"), "school"),
    ("utilities", T("კომუნალური გადასახადები", "Utility bills", "Коммунальные платежи"),
     "lightbulb"),
]

# ------------------------------------------------------------- shared fields


def mobile() -> dict[str, Any]:
    return field("mobile", "mobile",
                 T("მობილური ტელეფონის ნომერი", "Mobile phone number", "Номер мобильного телефона"),
                 help=T("ამ ნომერზე მიიღებთ SMS შეტყობინებას განცხადების სტატუსის შესახებ",
                        "We send SMS messages about your application to this number",
                        "На этот номер придут SMS о ходе рассмотрения заявления"))


def email(required: bool = False) -> dict[str, Any]:
    return field("email", "email", T("ელექტრონული ფოსტა", "E-mail", "Электронная почта"),
                 required,
                 help=T("პასუხის ასლს ამ მისამართზეც გამოგიგზავნით",
                        "We also send a copy of the answer to this address",
                        "Копию ответа мы отправим и на этот адрес"))


def personal_number(name: str, label: dict[str, str], required: bool = True) -> dict[str, Any]:
    return field(name, "personal_number", label, required,
                 help=T("11 ციფრი, პირადობის მოწმობიდან",
                        "11 digits, as on the ID card", "11 цифр, как в удостоверении личности"))


def given_name(name: str = "given_name", label: dict[str, str] | None = None) -> dict[str, Any]:
    return field(name, "text", label or T("სახელი", "Given name", "Имя"),
                 min_length=2, max_length=60)


def surname(name: str = "surname", label: dict[str, str] | None = None) -> dict[str, Any]:
    return field(name, "text", label or T("გვარი", "Surname", "Фамилия"),
                 min_length=2, max_length=60)


def past_date(name: str, label: dict[str, str], required: bool = True) -> dict[str, Any]:
    return field(name, "date", label, required, max="today",
                 help=T("მაგალითად: 14.03.1985", "For example: 14.03.1985", "Например: 14.03.1985"))


def future_date(name: str, label: dict[str, str], required: bool = True) -> dict[str, Any]:
    return field(name, "date", label, required, min="today")


def delivery() -> dict[str, Any]:
    return choice("delivery", T("როგორ გსურთ მიღება", "How you want to receive it",
                                "Способ получения"), [
        ("electronic", T("ელექტრონულად, პორტალზე", "Electronically, on the portal",
                         "В электронном виде на портале")),
        ("justice_house", T("იუსტიციის სახლში", "At a justice house", "В Доме юстиции")),
    ], help=T("ელექტრონულ დოკუმენტს ნაბეჭდის თანაბარი იურიდიული ძალა აქვს",
              "An electronic document has the same legal force as a printed one",
              "Электронный документ имеет ту же юридическую силу, что и бумажный"))


CITIES = [
    ("tbilisi", T("თბილისი", "Tbilisi", "Тбилиси")),
    ("batumi", T("ბათუმი", "Batumi", "Батуми")),
    ("kutaisi", T("ქუთაისი", "Kutaisi", "Кутаиси")),
    ("rustavi", T("რუსთავი", "Rustavi", "Рустави")),
    ("zugdidi", T("ზუგდიდი", "Zugdidi", "Зугдиди")),
    ("telavi", T("თელავი", "Telavi", "Телави")),
    ("gori", T("გორი", "Gori", "Гори")),
    ("akhaltsikhe", T("ახალციხე", "Akhaltsikhe", "Ахалцихе")),
    ("ozurgeti", T("ოზურგეთი", "Ozurgeti", "Озургети")),
    ("poti", T("ფოთი", "Poti", "Поти")),
    ("mtskheta", T("მცხეთა", "Mtskheta", "Мцхета")),
]


def justice_house(required: bool = True) -> dict[str, Any]:
    return choice("justice_house", T("იუსტიციის სახლი", "Justice house", "Дом юстиции"),
                  CITIES, required)


def purpose(required: bool = False) -> dict[str, Any]:
    return field("purpose", "text", T("სად წარადგენთ დოკუმენტს", "Where you will present it",
                                      "Куда вы представите документ"),
                 required, max_length=150)


def document_language() -> dict[str, Any]:
    return choice("document_language", T("დოკუმენტის ენა", "Language of the document",
                                         "Язык документа"), [
        ("ka", T("ქართული", "Georgian", "Грузинский")),
        ("en", T("ინგლისური", "English", "Английский")),
    ])


def speed() -> dict[str, Any]:
    return choice("speed", T("მომსახურების ვადა", "Service time", "Срок исполнения"), [
        ("standard", T("სტანდარტული", "Standard", "Обычный")),
        ("express", T("დაჩქარებული", "Express", "Ускоренный")),
    ], help=T("დაჩქარებულ მომსახურებას დამატებითი საფასური აქვს", "Express service costs extra",
              "Ускоренное оформление оплачивается дополнительно"))


def whose() -> dict[str, Any]:
    return choice("whose", T("ვისთვის ითხოვთ", "Who is it for", "Для кого"), [
        ("self", T("ჩემთვის", "For me", "Для себя")),
        ("child", T("ჩემი შვილისთვის (18 წლამდე)", "For my child (under 18)",
                    "Для моего ребёнка (до 18 лет)")),
        ("other", T("სხვა პირისთვის, მინდობილობით", "For another person, with a power of attorney",
                    "Для другого лица по доверенности")),
    ])


def cadastral_code(required: bool = True) -> dict[str, Any]:
    return field("cadastral_code", "text",
                 T("საკადასტრო კოდი", "Cadastral code", "Кадастровый код"), required,
                 pattern=r"\d{2}\.\d{2}\.\d{2}\.\d{3}\.\d{3}(\.\d{2}\.\d{3})?",
                 example="01.18.03.012.005",
                 help=T("კოდი მითითებულია საჯარო რეესტრის ამონაწერში",
                        "The code is on any Public Registry extract of the property",
                        "Код указан в выписке из Публичного реестра"))


def tax_id() -> dict[str, Any]:
    return field("tax_id", "text", T("საიდენტიფიკაციო კოდი", "Identification code",
                                     "Идентификационный код"),
                 pattern=r"\d{9}|\d{11}", example="204567891",
                 help=T("კომპანიის 9-ნიშნა კოდი ან ინდმეწარმის პირადი ნომერი",
                        "A company's 9-digit code or an entrepreneur's personal number",
                        "9-значный код компании или личный номер ИП"))


PROVIDERS = [
    ("telasi", T("თელასი (ელექტროენერგია)", "Telasi (electricity)", "Теласи (электроэнергия)")),
    ("energo_pro", T("ენერგო-პრო ჯორჯია (ელექტროენერგია)", "Energo-Pro Georgia (electricity)",
                     "Энерго-Про Джорджия (электроэнергия)")),
    ("gwp", T("ჯორჯიან უოთერ ენდ ფაუერი (წყალი)", "Georgian Water and Power (water)",
              "Джорджиан Уотер энд Пауэр (вода)")),
    ("tbilisi_energy", T("თბილისი ენერჯი (ბუნებრივი აირი)", "Tbilisi Energy (gas)",
                         "Тбилиси Энерджи (газ)")),
    ("sanitation", T("დასუფთავება (ნარჩენების გატანა)", "Sanitation (waste collection)",
                     "Санитарная служба (вывоз мусора)")),
]


def provider() -> dict[str, Any]:
    return choice("provider", T("მომწოდებელი", "Provider", "Поставщик"), PROVIDERS)


def account_number() -> dict[str, Any]:
    return field("account_number", "text", T("აბონენტის ნომერი", "Customer number",
                                             "Номер абонента"),
                 pattern=r"\d{6,12}", example="1234567890",
                 help=T("ნომერი მითითებულია ქვითარზე", "The number is on your bill",
                        "Номер указан в квитанции"))
