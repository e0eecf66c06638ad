"""Services of the categories "health" and "social services"."""

from __future__ import annotations

from tools.catalog_src.common import (
    T,
    choice,
    delivery,
    document_language,
    email,
    field,
    future_date,
    mobile,
    personal_number,
    purpose,
    service,
    whose,
    words,
)

_PERSON = personal_number("person_personal_number",
                          T("პირადი ნომერი, ვისთვისაც ითხოვთ",
                            "Personal number of the person it is for",
                            "Личный номер лица, для которого запрашиваете"), required=False)

_HOUSEHOLD = field("household_size", "number",
                   T("ოჯახის წევრების რაოდენობა", "Number of family members",
                     "Количество членов семьи"), min=1, max=20)

HEALTH = [
    service(
        "health-insurance-status", "health", "ssa",
        T("ჯანმრთელობის დაზღვევის სტატუსის შემოწმება", "Health insurance status",
          "Проверка статуса медицинского страхования"),
        T("გაიგეთ, გეხებათ თუ არა საყოველთაო ჯანდაცვის პროგრამა ან კერძო დაზღვევა და "
          "რომელი პაკეტით.",
          "Find out whether you are covered by the universal healthcare programme or private "
          "insurance, and by which package.",
          "Узнайте, охвачены ли вы программой всеобщего здравоохранения или частной "
          "страховкой и каким пакетом."),
        words("დაზღვევა ჯანდაცვა საყოველთაო პოლისი სტატუსი",
              "health insurance universal healthcare status policy",
              "страхование медицинская страховка здравоохранение статус полис"),
        [whose(), _PERSON],
        mode="online_only"),
    service(
        "vaccination-record", "health", "ncdc",
        T("ცნობა აცრების შესახებ", "Vaccination record", "Справка о прививках"),
        T("ამონაწერი აცრების ელექტრონული რეესტრიდან — თქვენთვის ან თქვენი შვილისთვის "
          "(მაგალითად, სკოლისა და ბაღისთვის).",
          "An extract from the electronic immunisation register — for you or your child "
          "(for school or kindergarten, say).",
          "Выписка из электронного реестра прививок — для вас или вашего ребёнка "
          "(например, для школы или детского сада)."),
        words("აცრა ვაქცინაცია ვაქცინა ცნობა", "vaccination vaccine immunisation record",
              "прививка вакцинация вакцина справка"),
        [whose(), _PERSON, document_language(), delivery(), mobile()]),
    service(
        "family-doctor-registration", "health", "ssa",
        T("ოჯახის ექიმთან რეგისტრაცია", "Register with a family doctor",
          "Прикрепление к семейному врачу"),
        T("აირჩიეთ ან შეცვალეთ პირველადი ჯანდაცვის დაწესებულება და ოჯახის ექიმი.",
          "Choose or change your primary care clinic and family doctor.",
          "Выберите или смените поликлинику и семейного врача."),
        words("ოჯახის ექიმი პოლიკლინიკა რეგისტრაცია", "family doctor clinic gp registration",
              "семейный врач поликлиника прикрепление"),
        [field("clinic", "text", T("კლინიკის დასახელება", "Name of the clinic",
                                   "Название поликлиники"), max_length=150),
         field("city", "text", T("ქალაქი ან სოფელი", "Town or village", "Город или село"),
               max_length=60),
         field("doctor", "text", T("ექიმის სახელი და გვარი", "Doctor's name", "Имя врача"),
               required=False, max_length=100),
         mobile()]),
    service(
        "planned-treatment-funding", "health", "moh",
        T("გეგმური მკურნალობის დაფინანსების განცხადება", "Apply for planned treatment funding",
          "Заявление на финансирование планового лечения"),
        T("განცხადება სახელმწიფო დაფინანსებაზე გეგმური ოპერაციის ან მკურნალობისთვის, "
          "რომელსაც თქვენი დაზღვევა სრულად არ ფარავს.",
          "Apply for state funding of a planned operation or treatment that your insurance "
          "does not fully cover.",
          "Заявление о государственном финансировании плановой операции или лечения, "
          "которые не полностью покрывает ваша страховка."),
        words("მკურნალობა ოპერაცია დაფინანსება რეფერალი", "treatment operation surgery funding",
              "лечение операция финансирование помощь"),
        [field("diagnosis", "text", T("დიაგნოზი", "Diagnosis", "Диагноз"), max_length=300),
         field("clinic", "text", T("კლინიკა", "Clinic", "Клиника"), max_length=150),
         future_date("treatment_date", T("მკურნალობის სავარაუდო თარიღი",
                                         "Expected date of treatment",
                                         "Предполагаемая дата лечения"), required=False),
         field("estimated_cost", "amount_gel", T("სავარაუდო ღირებულება", "Estimated cost",
                                                 "Примерная стоимость"),
               required=False, max="200000.00"),
         mobile()]),
    service(
        "chronic-medicine-programme", "health", "moh",
        T("მედიკამენტებით უზრუნველყოფის პროგრამა", "Chronic disease medicines programme",
          "Программа обеспечения лекарствами при хронических заболеваниях"),
        T("ქრონიკული დაავადების მქონე პირების ჩართვა პროგრამაში, რომლითაც მედიკამენტებს "
          "შეღავათიან ფასად იღებენ.",
          "Join the programme through which people with chronic diseases get medicines at "
          "a reduced price.",
          "Участие в программе, по которой люди с хроническими заболеваниями получают "
          "лекарства по льготной цене."),
        words("მედიკამენტი წამალი ქრონიკული დაავადება დიაბეტი",
              "medicine drugs chronic disease diabetes pharmacy",
              "лекарства медикаменты хронические болезни диабет"),
        [choice("conditions", T("დაავადება", "Condition", "Заболевание"), [
            ("cardiovascular", T("გულ-სისხლძარღვთა დაავადება", "Cardiovascular disease",
                                 "Сердечно-сосудистое заболевание")),
            ("diabetes", T("შაქრიანი დიაბეტი (ტიპი 2)", "Type 2 diabetes",
                           "Сахарный диабет 2-го типа")),
            ("copd", T("ფილტვის ქრონიკული ობსტრუქციული დაავადება",
                       "Chronic obstructive pulmonary disease",
                       "Хроническая обструктивная болезнь лёгких")),
            ("thyroid", T("ფარისებრი ჯირკვლის დაავადება", "Thyroid disease",
                          "Заболевание щитовидной железы")),
            ("epilepsy", T("ეპილეფსია", "Epilepsy", "Эпилепсия")),
            ("parkinson", T("პარკინსონის დაავადება", "Parkinson's disease",
                            "Болезнь Паркинсона")),
         ], multi=True, min_selected=1),
         field("family_doctor", "text", T("ოჯახის ექიმი", "Family doctor", "Семейный врач"),
               max_length=100),
         mobile()]),
]

SOCIAL = [
    service(
        "social-programme-application", "social", "ssa",
        T("მიზნობრივი სოციალური დახმარების განცხადება", "Targeted social assistance application",
          "Заявление на адресную социальную помощь"),
        T("განცხადება სოციალურად დაუცველი ოჯახების ერთიან ბაზაში რეგისტრაციაზე; "
          "შესაფასებლად ოჯახს სოციალური აგენტი ესტუმრება.",
          "Apply to register in the database of socially vulnerable families; a social agent "
          "will visit your family for the assessment.",
          "Заявление о регистрации в единой базе социально незащищённых семей; для оценки "
          "семью посетит социальный агент."),
        words("სოციალური დახმარება შემწეობა დაუცველი ოჯახი ქულა",
              "social assistance benefit allowance vulnerable family",
              "социальная помощь пособие малообеспеченные семья"),
        [choice("programme", T("პროგრამა", "Programme", "Программа"), [
            ("subsistence", T("საარსებო შემწეობა", "Subsistence allowance",
                              "Прожиточное пособие")),
            ("child_benefit", T("ბავშვის შემწეობა", "Child benefit", "Пособие на ребёнка")),
         ]),
         _HOUSEHOLD,
         field("address", "text", T("ფაქტობრივი მისამართი", "Address where you live",
                                    "Фактический адрес проживания"), max_length=200),
         field("disabled_member", "yes_no", T("ოჯახში არის შეზღუდული შესაძლებლობის მქონე პირი",
                                              "A family member has a disability",
                                              "В семье есть человек с инвалидностью")),
         mobile()]),
    service(
        "social-assistance-reassessment", "social", "ssa",
        T("ოჯახის ხელახალი შეფასების მოთხოვნა", "Request a reassessment of your family",
          "Запрос на повторную оценку семьи"),
        T("თუ ოჯახის მდგომარეობა შეიცვალა, მოითხოვეთ სოციალური აგენტის ხელახალი ვიზიტი და "
          "სარეიტინგო ქულის გადაანგარიშება.",
          "If your family's situation has changed, ask for a new visit of a social agent and "
          "a recalculation of the rating score.",
          "Если положение семьи изменилось, запросите повторный визит социального агента и "
          "пересчёт рейтингового балла."),
        words("შეფასება ქულა სოციალური აგენტი გადაანგარიშება",
              "reassessment score social agent recalculation",
              "оценка балл социальный агент пересчёт"),
        [field("reason", "long_text", T("რა შეიცვალა", "What has changed", "Что изменилось"),
               min_length=10, max_length=1000),
         _HOUSEHOLD, mobile()]),
    service(
        "pension-info", "social", "ssa",
        T("ცნობა პენსიის შესახებ", "Pension certificate", "Справка о пенсии"),
        T("ცნობა, რომ პენსიას იღებთ, და მისი ოდენობის შესახებ — ბანკისთვის ან სხვა "
          "უწყებისთვის.",
          "A certificate that you receive a pension and of its amount — for a bank or another "
          "agency.",
          "Справка о получении пенсии и её размере — для банка или другого ведомства."),
        words("პენსია ცნობა პენსიონერი ოდენობა", "pension certificate pensioner amount",
              "пенсия справка пенсионер размер"),
        [choice("period", T("პერიოდი", "Period", "Период"), [
            ("last_month", T("ბოლო თვე", "Last month", "Последний месяц")),
            ("last_6_months", T("ბოლო 6 თვე", "Last 6 months", "Последние 6 месяцев")),
            ("last_year", T("ბოლო წელი", "Last year", "Последний год")),
         ]),
         purpose(), delivery(), mobile()]),
    service(
        "pension-application", "social", "ssa",
        T("ასაკობრივი პენსიის დანიშვნა", "Apply for the state age pension",
          "Назначение государственной пенсии по возрасту"),
        T("განცხადება სახელმწიფო პენსიის დანიშვნაზე საპენსიო ასაკის მიღწევისას (ქალებისთვის "
          "60, მამაკაცებისთვის 65 წელი).",
          "Apply for the state pension when you reach pension age (60 for women, 65 for men).",
          "Заявление о назначении государственной пенсии при достижении пенсионного возраста "
          "(женщины — 60 лет, мужчины — 65)."),
        words("პენსია დანიშვნა საპენსიო ასაკი", "pension age retirement apply",
              "пенсия назначение возраст выход на пенсию"),
        [choice("bank", T("ბანკი, სადაც პენსიას მიიღებთ", "Bank to receive the pension",
                          "Банк для получения пенсии"), [
            ("liberty", T("ლიბერთი ბანკი", "Liberty Bank", "Либерти Банк")),
            ("bog", T("საქართველოს ბანკი", "Bank of Georgia", "Банк Грузии")),
            ("tbc", T("თიბისი ბანკი", "TBC Bank", "TBC Банк")),
         ]),
         field("home_delivery", "yes_no", T("პენსიის სახლში მიტანა (თუ გარეთ ვერ გადიხართ)",
                                            "Deliver the pension home (if you cannot go out)",
                                            "Доставка пенсии на дом (если вы не выходите)")),
         mobile()]),
    service(
        "funded-pension-statement", "social", "pension-agency",
        T("დაგროვებითი პენსიის ანგარიშის ამონაწერი", "Funded pension account statement",
          "Выписка со счёта накопительной пенсии"),
        T("ნახეთ, რამდენი დაგროვდა თქვენს საპენსიო ანგარიშზე და რა შენატანები "
          "განხორციელდა.",
          "See how much has built up in your pension account and which contributions were "
          "made.",
          "Узнайте, сколько накоплено на вашем пенсионном счёте и какие взносы поступали."),
        words("დაგროვებითი პენსია ანგარიში შენატანი ამონაწერი",
              "funded pension account contributions statement savings",
              "накопительная пенсия счёт взносы выписка"),
        [choice("period", T("პერიოდი", "Period", "Период"), [
            ("this_year", T("მიმდინარე წელი", "This year", "Текущий год")),
            ("last_year", T("წინა წელი", "Last year", "Прошлый год")),
            ("all", T("მთელი პერიოდი", "All years", "За всё время")),
         ]),
         email()],
        mode="online_only"),
    service(
        "disability-status-certificate", "social", "ssa",
        T("ცნობა შეზღუდული შესაძლებლობის სტატუსის შესახებ", "Disability status certificate",
          "Справка о статусе лица с ограниченными возможностями"),
        T("ცნობა თქვენი სტატუსისა და მისი ვადის შესახებ — შეღავათების მისაღებად.",
          "A certificate of your disability status and its term — to receive benefits.",
          "Справка о вашем статусе и сроке его действия — для получения льгот."),
        words("შშმ შეზღუდული შესაძლებლობა სტატუსი შეღავათი", "disability status benefits",
              "инвалидность ограниченные возможности статус льготы"),
        [whose(), _PERSON, purpose(), delivery(), mobile()]),
    service(
        "idp-status-certificate", "social", "idp-agency",
        T("ცნობა დევნილის სტატუსის შესახებ", "IDP status certificate",
          "Справка о статусе внутренне перемещённого лица"),
        T("ცნობა, რომელიც ადასტურებს იძულებით გადაადგილებული პირის (დევნილის) სტატუსს.",
          "A certificate confirming your status as an internally displaced person.",
          "Справка, подтверждающая статус внутренне перемещённого лица (беженца)."),
        words("დევნილი სტატუსი ცნობა", "idp displaced person status",
              "впл беженец перемещённое лицо статус"),
        [purpose(), delivery(), mobile()]),
]
