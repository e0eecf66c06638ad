"""Services of the category "personal information", with the letters to agencies."""

from __future__ import annotations

from tools.catalog_src.common import (
    T,
    choice,
    delivery,
    document_language,
    email,
    field,
    future_date,
    given_name,
    justice_house,
    mobile,
    past_date,
    personal_number,
    purpose,
    service,
    speed,
    surname,
    whose,
    words,
)

_LETTER_SUBJECT = field("subject", "text", T("თემა", "Subject", "Тема"),
                        min_length=3, max_length=150)
_AGENCY = field("agency", "agency", T("უწყება", "Agency", "Ведомство"),
                help=T("აირჩიეთ უწყება, რომელსაც მიმართავთ", "Choose the agency you are writing to",
                       "Выберите ведомство, в которое обращаетесь"))

PERSONAL = [
    service(
        "birth-certificate-repeat", "personal", "psda",
        T("დაბადების მოწმობის განმეორებით გაცემა", "Repeat birth certificate",
          "Повторная выдача свидетельства о рождении"),
        T("დაკარგული ან დაზიანებული დაბადების მოწმობის ნაცვლად ახალი მოწმობის მიღება — "
          "თქვენთვის ან თქვენი შვილისთვის.",
          "Get a new birth certificate in place of a lost or damaged one — for yourself "
          "or your child.",
          "Получение нового свидетельства о рождении взамен утерянного или повреждённого — "
          "для себя или своего ребёнка."),
        words("დაბადება მოწმობა ბავშვი შვილი დუბლიკატი ასლი",
              "birth certificate child duplicate copy",
              "рождение свидетельство ребёнок дубликат копия"),
        [whose(),
         personal_number("person_personal_number",
                         T("პირადი ნომერი, ვისი მოწმობაც გჭირდებათ",
                           "Personal number of the person on the certificate",
                           "Личный номер лица, указанного в свидетельстве")),
         given_name(), surname(),
         past_date("date_of_birth", T("დაბადების თარიღი", "Date of birth", "Дата рождения")),
         delivery(), justice_house(required=False), mobile()],
        fee="10.00"),
    service(
        "id-card-replacement-appointment", "personal", "psda",
        T("პირადობის მოწმობის შეცვლა — ვიზიტის დაჯავშნა", "ID card replacement — book a visit",
          "Замена удостоверения личности — запись на приём"),
        T("დაჯავშნეთ დრო იუსტიციის სახლში ახალი პირადობის მოწმობის ასაღებად, თუ ძველს ვადა "
          "გაუვიდა, დაიკარგა ან დაზიანდა.",
          "Book a time at a justice house to get a new ID card if yours has expired or has "
          "been lost or damaged.",
          "Запишитесь в Дом юстиции, чтобы получить новое удостоверение личности, если у "
          "старого истёк срок, оно утеряно или повреждено."),
        words("პირადობა მოწმობა ბარათი ჯავშანი ვიზიტი", "id card identity appointment booking",
              "удостоверение личность карта запись приём"),
        [choice("reason", T("მიზეზი", "Reason", "Причина"), [
            ("expired", T("ვადა გაუვიდა", "It has expired", "Истёк срок действия")),
            ("lost", T("დაიკარგა", "It was lost", "Утеряно")),
            ("damaged", T("დაზიანდა", "It is damaged", "Повреждено")),
            ("data_changed", T("შეიცვალა მონაცემები (სახელი, გვარი)",
                               "My details changed (name, surname)",
                               "Изменились данные (имя, фамилия)")),
         ]),
         justice_house(),
         future_date("preferred_date", T("სასურველი თარიღი", "Preferred date", "Желаемая дата")),
         mobile()],
        mode="online_only"),
    service(
        "address-registration-extract", "personal", "psda",
        T("ცნობა რეგისტრირებული მისამართის შესახებ", "Certificate of registered address",
          "Справка о зарегистрированном адресе"),
        T("ოფიციალური ცნობა, რომელიც ადასტურებს, რომელ მისამართზე ხართ რეგისტრირებული.",
          "An official certificate confirming the address where you are registered.",
          "Официальная справка, подтверждающая адрес вашей регистрации."),
        words("მისამართი რეგისტრაცია ცნობა საცხოვრებელი", "address registration residence extract",
              "адрес прописка регистрация справка"),
        [purpose(), document_language(), delivery(), mobile()],
        fee="5.00"),
    service(
        "criminal-record-certificate", "personal", "mia-iad",
        T("ცნობა ნასამართლობის შესახებ", "Criminal record certificate", "Справка о несудимости"),
        T("ცნობა ნასამართლობის არქონის (ან არსებობის) შესახებ — დამსაქმებლისთვის, "
          "ვიზისთვის ან სხვა უწყებისთვის.",
          "A certificate that you have no criminal record (or of the record you have) — for "
          "an employer, a visa or another agency.",
          "Справка об отсутствии (или наличии) судимости — для работодателя, визы или "
          "другого ведомства."),
        words("ნასამართლობა ცნობა პოლიცია სამსახური ვიზა",
              "criminal record police clearance certificate",
              "судимость несудимость справка полиция виза"),
        [document_language(), speed(), purpose(), delivery(), mobile()],
        fee="15.00"),
    service(
        "name-change-application", "personal", "psda",
        T("სახელის ან გვარის შეცვლა", "Change of given name or surname",
          "Изменение имени или фамилии"),
        T("განცხადება სახელის ან გვარის შეცვლაზე; გადაწყვეტილების შემდეგ ახალი პირადობის "
          "მოწმობა დაგჭირდებათ.",
          "Apply to change your given name or surname; after the decision you will need a "
          "new ID card.",
          "Заявление об изменении имени или фамилии; после решения понадобится новое "
          "удостоверение личности."),
        words("სახელი გვარი შეცვლა ცვლილება", "name surname change rename",
              "имя фамилия смена изменение"),
        [choice("change", T("რისი შეცვლა გსურთ", "What you want to change",
                            "Что вы хотите изменить"), [
            ("given_name", T("სახელი", "Given name", "Имя")),
            ("surname", T("გვარი", "Surname", "Фамилия")),
         ], multi=True, min_selected=1, max_selected=2),
         given_name("new_given_name", T("ახალი სახელი", "New given name", "Новое имя")) | {
             "required": False},
         surname("new_surname", T("ახალი გვარი", "New surname", "Новая фамилия")) | {
             "required": False},
         field("reason", "long_text", T("მიზეზი", "Reason", "Причина"),
               min_length=10, max_length=1000),
         mobile()],
        fee="50.00"),
    service(
        "citizenship-certificate", "personal", "psda",
        T("ცნობა საქართველოს მოქალაქეობის შესახებ", "Certificate of Georgian citizenship",
          "Справка о гражданстве Грузии"),
        T("ოფიციალური ცნობა, რომელიც ადასტურებს თქვენს საქართველოს მოქალაქეობას.",
          "An official certificate confirming your Georgian citizenship.",
          "Официальная справка, подтверждающая ваше гражданство Грузии."),
        words("მოქალაქეობა ცნობა", "citizenship nationality certificate",
              "гражданство справка подданство"),
        [document_language(), purpose(), delivery(), mobile()],
        fee="10.00"),
    service(
        "apostille", "personal", "psda",
        T("დოკუმენტის დამოწმება აპოსტილით", "Apostille for a document", "Апостиль на документ"),
        T("საქართველოში გაცემული ოფიციალური დოკუმენტის დამოწმება აპოსტილით, რათა ის "
          "უცხო ქვეყანაში აღიარონ.",
          "Certify a Georgian official document with an apostille so that it is recognised "
          "abroad.",
          "Заверение апостилем официального документа, выданного в Грузии, для его "
          "признания за рубежом."),
        words("აპოსტილი დამოწმება ლეგალიზაცია საზღვარგარეთ", "apostille legalisation abroad",
              "апостиль легализация заверение заграница"),
        [choice("document_type", T("დოკუმენტი", "Document", "Документ"), [
            ("birth_certificate", T("დაბადების მოწმობა", "Birth certificate",
                                    "Свидетельство о рождении")),
            ("marriage_certificate", T("ქორწინების მოწმობა", "Marriage certificate",
                                       "Свидетельство о браке")),
            ("criminal_record", T("ცნობა ნასამართლობის შესახებ", "Criminal record certificate",
                                  "Справка о несудимости")),
            ("education", T("განათლების დოკუმენტი", "Education document",
                            "Документ об образовании")),
            ("other", T("სხვა", "Other", "Другое")),
         ]),
         field("document_number", "text", T("დოკუმენტის ნომერი", "Document number",
                                             "Номер документа"), max_length=40),
         field("country", "text", T("რომელ ქვეყანაში წარადგენთ", "Country where you will use it",
                                    "Страна, где документ будет представлен"), max_length=60),
         delivery(), mobile()],
        fee="30.00"),
    service(
        "driving-licence-exam-booking", "personal", "mia-service",
        T("მართვის მოწმობის გამოცდაზე ჩაწერა", "Book a driving test",
          "Запись на экзамен на водительское удостоверение"),
        T("ჩაეწერეთ თეორიულ ან პრაქტიკულ გამოცდაზე შსს მომსახურების სააგენტოს სასურველ "
          "ფილიალში.",
          "Book the theory or practical test at the MIA Service Agency branch you prefer.",
          "Запишитесь на теоретический или практический экзамен в удобный филиал "
          "Сервисного агентства МВД."),
        words("მართვის მოწმობა გამოცდა ავტომობილი ჩაწერა", "driving licence test exam booking",
              "водительские права экзамен запись вождение"),
        [choice("exam", T("გამოცდა", "Test", "Экзамен"), [
            ("theory", T("თეორიული", "Theory", "Теоретический")),
            ("practical", T("პრაქტიკული", "Practical", "Практический")),
         ]),
         choice("licence_category", T("კატეგორია", "Category", "Категория"), [
            ("B", T("B — მსუბუქი ავტომობილი", "B — car", "B — легковой автомобиль")),
            ("A", T("A — მოტოციკლი", "A — motorcycle", "A — мотоцикл")),
            ("C", T("C — სატვირთო ავტომობილი", "C — lorry", "C — грузовой автомобиль")),
            ("D", T("D — ავტობუსი", "D — bus", "D — автобус")),
         ]),
         justice_house() | {"name": "city", "label": T("ქალაქი", "City", "Город")},
         future_date("preferred_date", T("სასურველი თარიღი", "Preferred date", "Желаемая дата")),
         mobile()],
        mode="online_only"),
    service(
        "public-information-request", "personal", "dea",
        T("საჯარო ინფორმაციის გამოთხოვა", "Request public information",
          "Запрос публичной информации"),
        T("გამოითხოვეთ საჯარო ინფორმაცია ნებისმიერი სახელმწიფო უწყებიდან; პასუხს პორტალზე, "
          "„შესრულებულ დავალებებში“ ნახავთ.",
          "Ask any public agency for public information; you will find the answer on the "
          "portal under “Completed tasks”.",
          "Запросите публичную информацию у любого государственного ведомства; ответ "
          "появится на портале в разделе «Выполненные задания»."),
        words("საჯარო ინფორმაცია გამოთხოვა უწყება მოთხოვნა",
              "public information request freedom agency",
              "публичная информация запрос ведомство"),
        [_AGENCY, _LETTER_SUBJECT,
         field("request", "long_text", T("რა ინფორმაცია გჭირდებათ", "What information you need",
                                         "Какая информация вам нужна"),
               min_length=10, max_length=5000),
         choice("format", T("ინფორმაციის ფორმა", "Form of the answer", "Форма ответа"), [
             ("electronic", T("ელექტრონული ასლი", "Electronic copy", "Электронная копия")),
             ("paper", T("ნაბეჭდი ასლი", "Printed copy", "Бумажная копия")),
         ]),
         email(), mobile()],
        kind="letter"),
    service(
        "letter-to-agency", "personal", "dea",
        T("წერილი საჯარო უწყებას", "Letter to a public agency",
          "Письмо в государственное ведомство"),
        T("გაუგზავნეთ წერილი, განცხადება ან შეკითხვა საჯარო უწყებას. რეგისტრაციის ნომერს "
          "SMS-ით მიიღებთ, პასუხს კი — პორტალზე.",
          "Send a letter, application or question to a public agency. You get the "
          "registration number by SMS and the answer on the portal.",
          "Отправьте письмо, заявление или вопрос в государственное ведомство. "
          "Регистрационный номер придёт по SMS, ответ — на портал."),
        words("წერილი განცხადება შეკითხვა უწყება მიმართვა", "letter application question agency",
              "письмо заявление вопрос обращение ведомство"),
        [_AGENCY, _LETTER_SUBJECT,
         field("letter", "long_text", T("წერილის ტექსტი", "Your letter", "Текст письма"),
               min_length=10, max_length=5000),
         email(), mobile()],
        kind="letter"),
    service(
        "complaint-to-agency", "personal", "dea",
        T("საჩივარი საჯარო უწყებას", "Complaint to a public agency",
          "Жалоба в государственное ведомство"),
        T("თუ უწყების მომსახურებით უკმაყოფილო ხართ, გაუგზავნეთ საჩივარი და მიიღეთ "
          "წერილობითი პასუხი.",
          "If you are unhappy with an agency's service, send a complaint and receive a "
          "written answer.",
          "Если вы недовольны обслуживанием ведомства, направьте жалобу и получите "
          "письменный ответ."),
        words("საჩივარი პრეტენზია უწყება", "complaint grievance agency",
              "жалоба претензия ведомство"),
        [_AGENCY,
         past_date("incident_date", T("როდის მოხდა", "When it happened", "Когда это произошло"),
                   required=False),
         _LETTER_SUBJECT,
         field("complaint", "long_text", T("საჩივრის ტექსტი", "Your complaint", "Текст жалобы"),
               min_length=20, max_length=5000),
         mobile()],
        kind="letter"),
    service(
        "personal-data-complaint", "personal", "pdps",
        T("განცხადება პერსონალურ მონაცემთა დაცვის სამსახურში",
          "Application to the Personal Data Protection Service",
          "Заявление в Службу защиты персональных данных"),
        T("თუ ფიქრობთ, რომ თქვენი პერსონალური მონაცემები უკანონოდ დამუშავდა, მიმართეთ "
          "სამსახურს.",
          "If you believe your personal data was processed unlawfully, apply to the Service.",
          "Если вы считаете, что ваши персональные данные обрабатывались незаконно, "
          "обратитесь в Службу."),
        words("პერსონალური მონაცემები დაცვა კონფიდენციალურობა", "personal data privacy protection",
              "персональные данные защита конфиденциальность"),
        [field("organisation", "text", T("ორგანიზაცია, რომელმაც მონაცემები დაამუშავა",
                                         "Organisation that processed the data",
                                         "Организация, обработавшая данные"), max_length=150),
         field("description", "long_text", T("რა მოხდა", "What happened", "Что произошло"),
               min_length=20, max_length=5000),
         email(), mobile()],
        kind="letter"),
]
