"""Services of the categories "property" and "business"."""

from __future__ import annotations

from tools.catalog_src.common import (
    T,
    cadastral_code,
    choice,
    delivery,
    document_language,
    email,
    field,
    mobile,
    personal_number,
    purpose,
    service,
    speed,
    tax_id,
    words,
)

_ACTIVITY = field("activity", "text", T("საქმიანობის სახე", "Type of activity",
                                        "Вид деятельности"), max_length=200)
_LEGAL_ADDRESS = field("legal_address", "text", T("იურიდიული მისამართი", "Legal address",
                                                  "Юридический адрес"), max_length=200)

PROPERTY = [
    service(
        "property-extract", "property", "napr",
        T("ამონაწერი საჯარო რეესტრიდან", "Property extract from the Public Registry",
          "Выписка из Публичного реестра"),
        T("ამონაწერი, რომელიც აჩვენებს, ვის ეკუთვნის უძრავი ქონება და ადევს თუ არა მას "
          "იპოთეკა ან ყადაღა.",
          "An extract showing who owns a property and whether it carries a mortgage or a "
          "seizure.",
          "Выписка о том, кому принадлежит недвижимость и есть ли на ней ипотека или арест."),
        words("ამონაწერი რეესტრი ქონება ბინა მიწა სახლი საკუთრება",
              "property extract registry flat land house ownership",
              "выписка реестр недвижимость квартира земля дом собственность"),
        [cadastral_code(), purpose(), delivery(), mobile()]),
    service(
        "cadastral-map", "property", "napr",
        T("საკადასტრო აზომვითი ნახაზის ასლი", "Copy of the cadastral survey map",
          "Копия кадастрового обмерного чертежа"),
        T("მიწის ნაკვეთის საკადასტრო აზომვითი ნახაზის ასლი საზღვრებითა და ფართობით.",
          "A copy of the cadastral survey drawing of a land plot with its boundaries and area.",
          "Копия кадастрового обмерного чертежа земельного участка с границами и площадью."),
        words("საკადასტრო ნახაზი რუკა ნაკვეთი მიწა საზღვარი", "cadastral map plan plot land",
              "кадастровый чертёж карта участок земля границы"),
        [cadastral_code(),
         choice("format", T("ფორმატი", "Format", "Формат"), [
             ("electronic", T("ელექტრონული (PDF)", "Electronic (PDF)", "Электронный (PDF)")),
             ("paper", T("ნაბეჭდი", "Printed", "Бумажный")),
         ]),
         mobile()],
        fee="10.00"),
    service(
        "property-registration", "property", "napr",
        T("საკუთრების უფლების რეგისტრაცია", "Register ownership of property",
          "Регистрация права собственности"),
        T("განცხადება საკუთრების რეგისტრაციაზე ყიდვის, ჩუქების ან მემკვიდრეობის შემდეგ; "
          "დოკუმენტებს სარეგისტრაციო სამსახური გადაამოწმებს.",
          "Apply to register ownership after a purchase, gift or inheritance; the registry "
          "checks the documents.",
          "Заявление о регистрации права собственности после покупки, дарения или "
          "наследования; документы проверит регистрационная служба."),
        words("რეგისტრაცია საკუთრება ნასყიდობა ჩუქება მემკვიდრეობა",
              "registration ownership purchase gift inheritance",
              "регистрация собственность покупка дарение наследство"),
        [choice("basis", T("საფუძველი", "Basis", "Основание"), [
            ("purchase", T("ნასყიდობა", "Purchase", "Купля-продажа")),
            ("gift", T("ჩუქება", "Gift", "Дарение")),
            ("inheritance", T("მემკვიდრეობა", "Inheritance", "Наследство")),
            ("privatisation", T("პრივატიზება", "Privatisation", "Приватизация")),
         ]),
         cadastral_code(required=False),
         field("address", "text", T("ქონების მისამართი", "Address of the property",
                                    "Адрес объекта"), max_length=200),
         field("area_m2", "number", T("ფართობი (მ²)", "Area (m²)", "Площадь (м²)"),
               required=False, min=1, max=10_000_000),
         speed(), email(), mobile()],
        fee="50.00"),
    service(
        "debtor-registry-extract", "property", "nbe",
        T("ამონაწერი მოვალეთა რეესტრიდან", "Extract from the register of debtors",
          "Выписка из реестра должников"),
        T("შეამოწმეთ, ხართ თუ არა მოვალეთა რეესტრში — ეს შეიძლება ხელს გიშლიდეთ ქონების "
          "გაყიდვაში ან სესხის აღებაში.",
          "Check whether you are in the register of debtors — it can block selling property "
          "or taking a loan.",
          "Проверьте, внесены ли вы в реестр должников — это может помешать продаже "
          "имущества или получению кредита."),
        words("მოვალე რეესტრი ვალი აღსრულება ყადაღა", "debtor register debt enforcement seizure",
              "должник реестр долг исполнение арест"),
        [purpose(), delivery(), mobile()]),
    service(
        "vehicle-registration-extract", "property", "mia-service",
        T("ცნობა სატრანსპორტო საშუალების რეგისტრაციის შესახებ", "Vehicle registration certificate",
          "Справка о регистрации транспортного средства"),
        T("ცნობა თქვენს სახელზე რეგისტრირებული ავტომობილის ან სხვა სატრანსპორტო "
          "საშუალების შესახებ.",
          "A certificate about a car or other vehicle registered in your name.",
          "Справка об автомобиле или другом транспортном средстве, зарегистрированном на "
          "ваше имя."),
        words("ავტომობილი მანქანა ტრანსპორტი რეგისტრაცია ნომერი", "vehicle car registration plate",
              "автомобиль машина транспорт регистрация номер"),
        [field("plate_number", "text", T("სახელმწიფო ნომერი", "Registration plate",
                                         "Государственный номер"),
               pattern=r"[A-Z]{2}-?\d{3}-?[A-Z]{2}", example="AA-123-BB"),
         delivery(), mobile()],
        fee="5.00"),
    service(
        "address-certificate", "property", "napr",
        T("ცნობა ქონების მისამართის შესახებ", "Official address of a property",
          "Справка об адресе объекта недвижимости"),
        T("ცნობა უძრავი ქონებისთვის მინიჭებული ოფიციალური მისამართის შესახებ.",
          "A certificate of the official address assigned to a property.",
          "Справка об официальном адресе, присвоенном объекту недвижимости."),
        words("მისამართი ქონება ცნობა ქუჩა", "address property street certificate",
              "адрес недвижимость улица справка"),
        [cadastral_code(), delivery(), mobile()]),
    service(
        "registration-application-status", "property", "napr",
        T("სარეგისტრაციო განცხადების სტატუსი", "Status of a registration application",
          "Статус заявления о регистрации"),
        T("გაიგეთ, რა ეტაპზეა საჯარო რეესტრში შეტანილი თქვენი განცხადება.",
          "Find out what stage your application to the Public Registry has reached.",
          "Узнайте, на каком этапе находится ваше заявление в Публичном реестре."),
        words("განცხადება სტატუსი რეესტრი ეტაპი", "application status registry progress",
              "заявление статус реестр этап"),
        [field("application_number", "text", T("განცხადების ნომერი", "Application number",
                                               "Номер заявления"),
               pattern=r"\d{6,14}", example="882021123456")],
        mode="online_only"),
]

BUSINESS = [
    service(
        "individual-entrepreneur-registration", "business", "napr",
        T("ინდივიდუალური მეწარმის რეგისტრაცია", "Register as an individual entrepreneur",
          "Регистрация индивидуального предпринимателя"),
        T("დარეგისტრირდით ინდივიდუალურ მეწარმედ; სარეგისტრაციო დოკუმენტებს პორტალზე "
          "მიიღებთ.",
          "Register as an individual entrepreneur; you receive the registration documents on "
          "the portal.",
          "Зарегистрируйтесь индивидуальным предпринимателем; регистрационные документы вы "
          "получите на портале."),
        words("ინდმეწარმე მეწარმე ბიზნესი რეგისტრაცია", "entrepreneur sole trader business registration",
              "ип предприниматель бизнес регистрация"),
        [field("trade_name", "text", T("სახელწოდება", "Trading name", "Наименование"),
               required=False, max_length=100),
         _ACTIVITY, _LEGAL_ADDRESS,
         field("small_business", "yes_no", T("მცირე ბიზნესის სტატუსის მოთხოვნაც",
                                             "Also apply for small business status",
                                             "Также запросить статус малого бизнеса")),
         email(required=True), mobile()],
        fee="56.00"),
    service(
        "llc-registration", "business", "napr",
        T("შეზღუდული პასუხისმგებლობის საზოგადოების (შპს) რეგისტრაცია",
          "Register a limited liability company (LLC)",
          "Регистрация общества с ограниченной ответственностью (ООО)"),
        T("შპს-ის დაფუძნება და რეგისტრაცია მეწარმეთა რეესტრში.",
          "Found an LLC and register it in the Register of Entrepreneurs.",
          "Учреждение ООО и его регистрация в Реестре предпринимателей."),
        words("შპს კომპანია საზოგადოება დაფუძნება რეგისტრაცია",
              "llc company limited founding registration",
              "ооо компания общество учреждение регистрация"),
        [field("company_name", "text", T("კომპანიის სახელწოდება", "Company name",
                                         "Название компании"), max_length=150),
         _LEGAL_ADDRESS, _ACTIVITY,
         field("partners", "number", T("პარტნიორების რაოდენობა", "Number of partners",
                                       "Количество партнёров"), min=1, max=50),
         personal_number("director_personal_number", T("დირექტორის პირადი ნომერი",
                                                       "Director's personal number",
                                                       "Личный номер директора")),
         email(required=True), mobile()],
        fee="100.00"),
    service(
        "business-registry-extract", "business", "napr",
        T("ამონაწერი მეწარმეთა რეესტრიდან", "Extract from the Register of Entrepreneurs",
          "Выписка из Реестра предпринимателей"),
        T("მოქმედი ამონაწერი კომპანიის ან ინდმეწარმის შესახებ: დამფუძნებლები, დირექტორი, "
          "მისამართი.",
          "A current extract about a company or individual entrepreneur: founders, director, "
          "address.",
          "Актуальная выписка о компании или ИП: учредители, директор, адрес."),
        words("ამონაწერი კომპანია შპს რეესტრი", "extract company llc registry",
              "выписка компания ооо реестр"),
        [tax_id(), document_language(), delivery(), mobile()]),
    service(
        "business-data-change", "business", "napr",
        T("მეწარმის მონაცემების ცვლილება", "Change a business's registered details",
          "Изменение зарегистрированных данных предпринимателя"),
        T("შეცვალეთ იურიდიული მისამართი, დირექტორი, სახელწოდება ან საქმიანობის სახე.",
          "Change the legal address, director, name or type of activity.",
          "Измените юридический адрес, директора, наименование или вид деятельности."),
        words("ცვლილება დირექტორი მისამართი კომპანია", "change director address company",
              "изменение директор адрес компания"),
        [tax_id(),
         choice("changes", T("რა იცვლება", "What changes", "Что меняется"), [
             ("address", T("იურიდიული მისამართი", "Legal address", "Юридический адрес")),
             ("director", T("დირექტორი", "Director", "Директор")),
             ("name", T("სახელწოდება", "Name", "Наименование")),
             ("activity", T("საქმიანობის სახე", "Type of activity", "Вид деятельности")),
             ("partners", T("პარტნიორები", "Partners", "Партнёры")),
         ], multi=True, min_selected=1),
         field("details", "long_text", T("ცვლილების აღწერა", "Describe the change",
                                         "Опишите изменения"), min_length=10, max_length=2000),
         email(required=True), mobile()],
        fee="50.00"),
    service(
        "small-business-status", "business", "rs",
        T("მცირე ბიზნესის სტატუსის მინიჭება", "Small business status", "Статус малого бизнеса"),
        T("ინდმეწარმის განცხადება მცირე ბიზნესის სტატუსზე: 1%-იანი საშემოსავლო "
          "გადასახადი წლიური ბრუნვით 500 000 ლარამდე.",
          "An individual entrepreneur's application for small business status: 1% income "
          "tax on yearly turnover up to 500,000 GEL.",
          "Заявление ИП на статус малого бизнеса: подоходный налог 1% при годовом обороте "
          "до 500 000 лари."),
        words("მცირე ბიზნესი სტატუსი გადასახადი ინდმეწარმე",
              "small business status tax entrepreneur",
              "малый бизнес статус налог ип"),
        [tax_id(), _ACTIVITY,
         field("expected_turnover", "amount_gel", T("მოსალოდნელი წლიური ბრუნვა",
                                                    "Expected yearly turnover",
                                                    "Ожидаемый годовой оборот"),
               max="500000.00"),
         mobile()]),
    service(
        "entrepreneur-termination", "business", "napr",
        T("ინდმეწარმის საქმიანობის შეწყვეტა", "Close an individual entrepreneur registration",
          "Прекращение деятельности индивидуального предпринимателя"),
        T("შეწყვიტეთ ინდმეწარმის საქმიანობა და მოითხოვეთ რეესტრიდან ამორიცხვა.",
          "End your activity as an individual entrepreneur and be removed from the register.",
          "Прекратите деятельность ИП и исключите запись из реестра."),
        words("შეწყვეტა ლიკვიდაცია ინდმეწარმე დახურვა", "close termination entrepreneur",
              "прекращение закрытие ип ликвидация"),
        [tax_id(),
         field("reason", "text", T("მიზეზი", "Reason", "Причина"), required=False,
               max_length=200),
         mobile()]),
]
