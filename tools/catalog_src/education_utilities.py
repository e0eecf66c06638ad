"""Services of the categories "education" and "utility bills"."""

from __future__ import annotations

from tools.catalog_src.common import (
    T,
    account_number,
    cadastral_code,
    choice,
    delivery,
    document_language,
    email,
    field,
    mobile,
    past_date,
    personal_number,
    provider,
    service,
    speed,
    words,
)

_CHILD = personal_number("child_personal_number", T("ბავშვის პირადი ნომერი",
                                                    "Child's personal number",
                                                    "Личный номер ребёнка"))
_CHILD_BIRTH = past_date("child_date_of_birth", T("ბავშვის დაბადების თარიღი",
                                                  "Child's date of birth",
                                                  "Дата рождения ребёнка"))
_GRADUATION_YEAR = field("graduation_year", "number", T("დამთავრების წელი", "Year of graduation",
                                                        "Год окончания"), min=1940, max=2100)
_HOUSEHOLD = field("household_size", "number", T("ოჯახის წევრების რაოდენობა",
                                                 "Number of family members",
                                                 "Количество членов семьи"), min=1, max=20)

EDUCATION = [
    service(
        "education-document", "education", "mes",
        T("განათლების დამადასტურებელი დოკუმენტის დუბლიკატი", "Duplicate of an education document",
          "Дубликат документа об образовании"),
        T("სკოლის ატესტატის ან დიპლომის დუბლიკატი, ან ცნობა მიღებული განათლების შესახებ.",
          "A duplicate of a school certificate or a diploma, or a certificate of the "
          "education you received.",
          "Дубликат школьного аттестата или диплома либо справка о полученном образовании."),
        words("ატესტატი დიპლომი დუბლიკატი სკოლა უნივერსიტეტი განათლება",
              "diploma school certificate duplicate university education",
              "аттестат диплом дубликат школа университет образование"),
        [choice("document", T("დოკუმენტი", "Document", "Документ"), [
            ("school_certificate", T("სკოლის ატესტატი", "School leaving certificate",
                                     "Школьный аттестат")),
            ("vocational", T("პროფესიული განათლების დიპლომი", "Vocational diploma",
                             "Диплом о профессиональном образовании")),
            ("bachelor", T("ბაკალავრის დიპლომი", "Bachelor's diploma", "Диплом бакалавра")),
            ("master", T("მაგისტრის დიპლომი", "Master's diploma", "Диплом магистра")),
         ]),
         field("institution", "text", T("სასწავლებლის დასახელება", "Name of the school or university",
                                        "Название учебного заведения"), max_length=150),
         _GRADUATION_YEAR, document_language(), delivery(), mobile()],
        fee="20.00"),
    service(
        "school-enrolment", "education", "mes",
        T("პირველკლასელის სკოლაში რეგისტრაცია", "Register a child for first grade",
          "Регистрация первоклассника в школу"),
        T("დაარეგისტრირეთ 6 წლის ბავშვი სასურველ საჯარო სკოლაში; ადგილები რეგისტრაციის "
          "რიგითობით ნაწილდება.",
          "Register a six-year-old at the public school of your choice; places are given in "
          "the order of registration.",
          "Зарегистрируйте шестилетнего ребёнка в выбранную государственную школу; места "
          "распределяются в порядке регистрации."),
        words("სკოლა პირველკლასელი რეგისტრაცია ბავშვი", "school first grade enrolment child",
              "школа первоклассник регистрация ребёнок"),
        [_CHILD, _CHILD_BIRTH,
         field("school", "text", T("სკოლის დასახელება ან ნომერი", "School name or number",
                                   "Название или номер школы"), max_length=150),
         choice("teaching_language", T("სწავლების ენა", "Language of teaching", "Язык обучения"), [
             ("ka", T("ქართული", "Georgian", "Грузинский")),
             ("ru", T("რუსული", "Russian", "Русский")),
             ("az", T("აზერბაიჯანული", "Azerbaijani", "Азербайджанский")),
             ("hy", T("სომხური", "Armenian", "Армянский")),
         ]),
         mobile()],
        mode="online_only"),
    service(
        "diploma-recognition", "education", "eqe",
        T("უცხოეთში მიღებული განათლების აღიარება", "Recognition of education received abroad",
          "Признание образования, полученного за рубежом"),
        T("აღიარების დოკუმენტი უცხოეთში მიღებული ზოგადი, პროფესიული ან უმაღლესი "
          "განათლებისთვის.",
          "A recognition document for general, vocational or higher education received "
          "abroad.",
          "Документ о признании общего, профессионального или высшего образования, "
          "полученного за рубежом."),
        words("აღიარება უცხოეთი დიპლომი განათლება", "recognition foreign diploma abroad education",
              "признание зарубежный диплом образование"),
        [choice("level", T("განათლების საფეხური", "Level of education", "Уровень образования"), [
            ("general", T("ზოგადი", "General (school)", "Общее (школьное)")),
            ("vocational", T("პროფესიული", "Vocational", "Профессиональное")),
            ("higher", T("უმაღლესი", "Higher", "Высшее")),
         ]),
         field("country", "text", T("ქვეყანა", "Country", "Страна"), max_length=60),
         field("institution", "text", T("სასწავლებელი", "Institution", "Учебное заведение"),
               max_length=150),
         _GRADUATION_YEAR, speed(), email(required=True), mobile()],
        fee="100.00"),
    service(
        "school-transfer", "education", "mes",
        T("მოსწავლის სხვა სკოლაში გადაყვანა", "Move a pupil to another school",
          "Перевод ученика в другую школу"),
        T("განცხადება მოსწავლის სხვა საჯარო სკოლაში გადაყვანაზე, თუ იქ თავისუფალი ადგილია.",
          "Apply to move a pupil to another public school where a place is free.",
          "Заявление о переводе ученика в другую государственную школу при наличии "
          "свободного места."),
        words("სკოლა გადაყვანა მოსწავლე", "school transfer pupil move",
              "школа перевод ученик"),
        [personal_number("pupil_personal_number", T("მოსწავლის პირადი ნომერი",
                                                    "Pupil's personal number",
                                                    "Личный номер ученика")),
         field("current_school", "text", T("ამჟამინდელი სკოლა", "Current school",
                                           "Нынешняя школа"), max_length=150),
         field("new_school", "text", T("ახალი სკოლა", "New school", "Новая школа"),
               max_length=150),
         field("grade", "number", T("კლასი", "Grade", "Класс"), min=1, max=12),
         mobile()]),
    service(
        "exam-results-certificate", "education", "naec",
        T("ცნობა ეროვნული გამოცდების შედეგების შესახებ", "Certificate of national exam results",
          "Справка о результатах национальных экзаменов"),
        T("ოფიციალური ცნობა ერთიან ეროვნულ გამოცდებზე მიღებული ქულების შესახებ.",
          "An official certificate of your scores in the unified national exams.",
          "Официальная справка о баллах, полученных на единых национальных экзаменах."),
        words("გამოცდა ეროვნული შედეგი ქულა ცნობა", "national exam results scores certificate",
              "экзамен национальный результаты баллы справка"),
        [field("exam_year", "number", T("გამოცდის წელი", "Year of the exam", "Год экзамена"),
               min=2005, max=2100),
         document_language(), delivery(), mobile()]),
    service(
        "kindergarten-registration", "education", "tbilisi",
        T("საბავშვო ბაღში რეგისტრაცია", "Kindergarten registration",
          "Регистрация в детский сад"),
        T("დაარეგისტრირეთ ბავშვი თბილისის მუნიციპალურ საბავშვო ბაღში.",
          "Register a child at a Tbilisi municipal kindergarten.",
          "Зарегистрируйте ребёнка в муниципальный детский сад Тбилиси."),
        words("ბაღი საბავშვო ბავშვი რეგისტრაცია", "kindergarten nursery child registration",
              "детский сад ребёнок регистрация"),
        [_CHILD, _CHILD_BIRTH,
         choice("district", T("რაიონი", "District", "Район"), [
             ("mtatsminda", T("მთაწმინდა", "Mtatsminda", "Мтацминда")),
             ("vake", T("ვაკე", "Vake", "Ваке")),
             ("saburtalo", T("საბურთალო", "Saburtalo", "Сабуртало")),
             ("krtsanisi", T("კრწანისი", "Krtsanisi", "Крцаниси")),
             ("isani", T("ისანი", "Isani", "Исани")),
             ("samgori", T("სამგორი", "Samgori", "Самгори")),
             ("chughureti", T("ჩუღურეთი", "Chughureti", "Чугурети")),
             ("didube", T("დიდუბე", "Didube", "Дидубе")),
             ("nadzaladevi", T("ნაძალადევი", "Nadzaladevi", "Надзаладеви")),
             ("gldani", T("გლდანი", "Gldani", "Глдани")),
         ]),
         field("kindergarten", "text", T("სასურველი ბაღი", "Preferred kindergarten",
                                         "Желаемый детский сад"), required=False, max_length=100),
         mobile()],
        mode="online_only"),
]

UTILITIES = [
    service(
        "utility-bill-pay", "utilities", "utilities",
        T("კომუნალური გადასახადების გადახდა", "Pay utility bills", "Оплата коммунальных услуг"),
        T("ელექტროენერგიის, წყლის, ბუნებრივი აირისა და დასუფთავების გადასახადების "
          "შემოწმება და გადახდა ერთ ადგილას.",
          "Check and pay electricity, water, gas and waste collection bills in one place.",
          "Проверка и оплата счетов за электричество, воду, газ и вывоз мусора в одном месте."),
        words("კომუნალური დენი შუქი წყალი გაზი დასუფთავება გადახდა",
              "utility bill electricity water gas waste pay",
              "коммунальные свет электричество вода газ мусор оплата"),
        [], mode="online_only", kind="lookup_payment", lookup="utility-bills"),
    service(
        "utility-account-link", "utilities", "utilities",
        T("აბონენტის ნომრის დამატება პროფილში", "Link a utility account to your profile",
          "Привязка номера абонента к профилю"),
        T("დაამატეთ აბონენტის ნომერი, რომ მისი გადასახადები პორტალზე ავტომატურად გამოჩნდეს.",
          "Add your customer number so that its bills appear on the portal automatically.",
          "Добавьте номер абонента, чтобы его счета автоматически появлялись на портале."),
        words("აბონენტი ნომერი დამატება ანგარიში", "customer account number link",
              "абонент номер лицевой счёт привязка"),
        [provider(), account_number(), mobile()]),
    service(
        "meter-reading-submission", "utilities", "utilities",
        T("მრიცხველის ჩვენების გადაცემა", "Submit a meter reading",
          "Передача показаний счётчика"),
        T("გადაეცით წყლის, გაზის ან ელექტროენერგიის მრიცხველის ჩვენება, რომ ანგარიში "
          "ზუსტად დაგერიცხოთ.",
          "Send your water, gas or electricity meter reading so that your bill is exact.",
          "Передайте показания счётчика воды, газа или электроэнергии, чтобы счёт был "
          "точным."),
        words("მრიცხველი ჩვენება წყალი გაზი დენი", "meter reading water gas electricity",
              "счётчик показания вода газ свет"),
        [provider(), account_number(),
         field("reading", "number", T("მრიცხველის ჩვენება", "Meter reading",
                                      "Показание счётчика"), min=0, max=99_999_999),
         past_date("reading_date", T("ჩვენების აღების თარიღი", "Date of the reading",
                                     "Дата снятия показаний")),
         mobile()]),
    service(
        "utility-debt-free-certificate", "utilities", "utilities",
        T("ცნობა კომუნალური დავალიანების არქონის შესახებ", "Certificate of no utility debt",
          "Справка об отсутствии задолженности за коммунальные услуги"),
        T("ცნობა, რომ აბონენტს დავალიანება არ აქვს — საჭიროა ბინის გაყიდვისას ან "
          "გაქირავებისას.",
          "A certificate that the account has no debt — needed when selling or renting out a "
          "flat.",
          "Справка об отсутствии задолженности абонента — нужна при продаже или сдаче "
          "квартиры."),
        words("ცნობა დავალიანება კომუნალური ბინა", "certificate no debt utility flat",
              "справка задолженность коммунальные квартира"),
        [provider(), account_number(), delivery(), mobile()]),
    service(
        "network-connection-application", "utilities", "utilities",
        T("ქსელზე ახალი მიერთების განაცხადი", "Apply for a new utility connection",
          "Заявка на новое подключение к сети"),
        T("განაცხადი ახალი შენობის ელექტროენერგიის, წყლის ან გაზის ქსელზე მიერთებაზე.",
          "Apply to connect a new building to the electricity, water or gas network.",
          "Заявка на подключение нового здания к сетям электроэнергии, воды или газа."),
        words("მიერთება ქსელი ახალი შენობა დენი წყალი გაზი",
              "connection network new building electricity water gas",
              "подключение сеть новое здание свет вода газ"),
        [choice("utility", T("რა ქსელზე", "Which network", "Какая сеть"), [
            ("electricity", T("ელექტროენერგია", "Electricity", "Электроэнергия")),
            ("water", T("წყალი", "Water", "Вода")),
            ("gas", T("ბუნებრივი აირი", "Natural gas", "Природный газ")),
         ]),
         field("address", "text", T("შენობის მისამართი", "Address of the building",
                                    "Адрес здания"), max_length=200),
         cadastral_code(required=False), mobile()]),
    service(
        "utility-subsidy-application", "utilities", "tbilisi",
        T("კომუნალური სუბსიდიის განცხადება", "Apply for a utility subsidy",
          "Заявление на коммунальную субсидию"),
        T("მუნიციპალური პროგრამა: სოციალურად დაუცველი ოჯახების დახმარება კომუნალური "
          "გადასახადების დაფარვაში.",
          "A municipal programme that helps socially vulnerable families pay utility bills.",
          "Муниципальная программа помощи социально незащищённым семьям в оплате "
          "коммунальных услуг."),
        words("სუბსიდია ვაუჩერი დახმარება კომუნალური", "subsidy voucher help utility",
              "субсидия ваучер помощь коммунальные"),
        [provider(), account_number(), _HOUSEHOLD, email(), mobile()]),
]
