"""Services of the categories "taxes" and "fines"."""

from __future__ import annotations

from tools.catalog_src.common import (
    T,
    delivery,
    document_language,
    email,
    field,
    future_date,
    mobile,
    past_date,
    purpose,
    service,
    tax_id,
    words,
)

_PROTOCOL = field("protocol_number", "text", T("ოქმის ნომერი", "Protocol number",
                                               "Номер протокола"),
                  pattern=r"[A-Z]{0,3}\d{6,12}", example="GP12345678",
                  help=T("ნომერი მითითებულია ჯარიმის ქვითარზე", "The number is on the fine notice",
                         "Номер указан в квитанции о штрафе"))

TAXES = [
    service(
        "tax-debt-pay", "taxes", "rs",
        T("საგადასახადო დავალიანების შემოწმება და გადახდა", "Check and pay tax debt",
          "Проверка и оплата налоговой задолженности"),
        T("ნახეთ, გაქვთ თუ არა ბიუჯეტის მიმართ დავალიანება (მაგალითად, ქონების გადასახადი), "
          "და გადაიხადეთ ადგილზე.",
          "See whether you owe the budget anything (property tax, for example) and pay it "
          "here.",
          "Узнайте, есть ли у вас задолженность перед бюджетом (например, налог на "
          "имущество), и оплатите её здесь."),
        words("გადასახადი დავალიანება ბიუჯეტი ქონების გადახდა",
              "tax debt budget property pay arrears",
              "налог задолженность бюджет имущество оплата долг"),
        [], mode="online_only", kind="lookup_payment", lookup="tax-debt"),
    service(
        "tax-debt-free-certificate", "taxes", "rs",
        T("ცნობა საგადასახადო დავალიანების არქონის შესახებ", "Certificate of no tax debt",
          "Справка об отсутствии налоговой задолженности"),
        T("ცნობა ტენდერისთვის, ბანკისთვის ან ვიზისთვის, რომ ბიუჯეტის მიმართ დავალიანება არ "
          "გაქვთ.",
          "A certificate for a tender, a bank or a visa that you owe nothing to the budget.",
          "Справка для тендера, банка или визы о том, что у вас нет долгов перед бюджетом."),
        words("ცნობა დავალიანება გადასახადი არქონა", "certificate no tax debt clearance",
              "справка отсутствие задолженности налог"),
        [document_language(), purpose(), delivery(), mobile()]),
    service(
        "income-certificate", "taxes", "rs",
        T("ცნობა მიღებული შემოსავლების შესახებ", "Certificate of income", "Справка о доходах"),
        T("ცნობა დაქირავებით მიღებული ხელფასისა და დაკავებული გადასახადის შესახებ — "
          "ვიზისთვის ან სესხისთვის.",
          "A certificate of the salary you received and the tax withheld — for a visa or a "
          "loan.",
          "Справка о полученной зарплате и удержанном налоге — для визы или кредита."),
        words("შემოსავალი ხელფასი ცნობა სესხი ვიზა", "income salary certificate loan visa",
              "доход зарплата справка кредит виза"),
        [past_date("from_date", T("პერიოდის დასაწყისი", "From", "Начало периода")),
         past_date("to_date", T("პერიოდის დასასრული", "To", "Конец периода")),
         document_language(), delivery(), mobile()]),
    service(
        "property-tax-declaration", "taxes", "rs",
        T("ფიზიკური პირის ქონების გადასახადის დეკლარაცია", "Property tax return for individuals",
          "Декларация физического лица по налогу на имущество"),
        T("წარადგინეთ დეკლარაცია, თუ ოჯახის წლიური შემოსავალი 40 000 ლარს აღემატება და "
          "დასაბეგრი ქონება გაქვთ.",
          "File a return if your family's yearly income exceeds 40,000 GEL and you own "
          "taxable property.",
          "Подайте декларацию, если годовой доход семьи превышает 40 000 лари и у вас есть "
          "облагаемое имущество."),
        words("დეკლარაცია ქონების გადასახადი შემოსავალი", "declaration return property tax income",
              "декларация налог на имущество доход"),
        [field("tax_year", "number", T("საანგარიშო წელი", "Tax year", "Отчётный год"),
               min=2010, max=2100),
         field("family_income", "amount_gel", T("ოჯახის წლიური შემოსავალი",
                                                "Family's yearly income",
                                                "Годовой доход семьи"), max="100000000.00"),
         field("property_count", "number", T("დასაბეგრი ქონების ერთეულები",
                                             "Number of taxable properties",
                                             "Количество облагаемых объектов"), min=0, max=100),
         mobile()]),
    service(
        "vat-registration", "taxes", "rs",
        T("დღგ-ის გადამხდელად რეგისტრაცია", "Register for VAT", "Регистрация плательщиком НДС"),
        T("სავალდებულოა, როცა 12 თვის დასაბეგრი ბრუნვა 100 000 ლარს გადააჭარბებს; "
          "შესაძლებელია ნებაყოფლობითაც.",
          "Required once your taxable turnover over 12 months exceeds 100,000 GEL; you may "
          "also register voluntarily.",
          "Обязательна, когда облагаемый оборот за 12 месяцев превышает 100 000 лари; можно "
          "зарегистрироваться и добровольно."),
        words("დღგ დამატებული ღირებულება რეგისტრაცია ბრუნვა", "vat value added tax registration",
              "ндс налог на добавленную стоимость регистрация"),
        [tax_id(),
         field("voluntary", "yes_no", T("ნებაყოფლობითი რეგისტრაცია", "Voluntary registration",
                                        "Добровольная регистрация")),
         future_date("start_date", T("რეგისტრაციის თარიღი", "Registration date",
                                     "Дата регистрации")),
         mobile()]),
    service(
        "tax-refund-request", "taxes", "rs",
        T("ზედმეტად გადახდილი გადასახადის დაბრუნება", "Refund of overpaid tax",
          "Возврат излишне уплаченного налога"),
        T("მოითხოვეთ ზედმეტად გადახდილი თანხის დაბრუნება საბანკო ანგარიშზე.",
          "Ask for an overpaid amount to be returned to your bank account.",
          "Запросите возврат излишне уплаченной суммы на банковский счёт."),
        words("დაბრუნება ზედმეტობა გადასახადი თანხა", "refund overpaid tax return money",
              "возврат переплата налог сумма"),
        [field("amount", "amount_gel", T("თანხა", "Amount", "Сумма"), max="1000000.00"),
         field("iban", "text", T("საბანკო ანგარიში (IBAN)", "Bank account (IBAN)",
                                 "Банковский счёт (IBAN)"),
               pattern=r"GE\d{2}[A-Z]{2}\d{16}", example="GE29TB7777777777777777",
               help=T("ჩაწერეთ ჰარეების გარეშე", "Type it without spaces", "Вводите без пробелов")),
         field("reason", "long_text", T("საფუძველი", "Grounds", "Основание"),
               required=False, max_length=1000),
         mobile()]),
]

FINES = [
    service(
        "fines-pay", "fines", "patrol",
        T("ჯარიმების შემოწმება და გადახდა", "Check and pay fines", "Проверка и оплата штрафов"),
        T("ნახეთ თქვენს სახელზე გამოწერილი საპატრულო პოლიციისა და მერიის გადაუხდელი "
          "ჯარიმები და გადაიხადეთ ადგილზე.",
          "See the unpaid patrol police and city hall fines in your name and pay them here.",
          "Посмотрите неоплаченные штрафы патрульной полиции и мэрии на ваше имя и оплатите "
          "их здесь."),
        words("ჯარიმა პოლიცია პარკირება სიჩქარე გადახდა", "fine penalty police parking speeding pay",
              "штраф полиция парковка скорость оплата"),
        [], mode="online_only", kind="lookup_payment", lookup="fines"),
    service(
        "fine-appeal", "fines", "patrol",
        T("ჯარიმის გასაჩივრება", "Appeal a fine", "Обжалование штрафа"),
        T("თუ ჯარიმას არ ეთანხმებით, გაასაჩივრეთ ოქმის ნომრის მითითებით; პასუხს პორტალზე "
          "მიიღებთ.",
          "If you disagree with a fine, appeal it by giving the protocol number; the answer "
          "comes on the portal.",
          "Если вы не согласны со штрафом, обжалуйте его, указав номер протокола; ответ "
          "придёт на портал."),
        words("გასაჩივრება საჩივარი ჯარიმა ოქმი", "appeal dispute fine protocol",
              "обжалование жалоба штраф протокол"),
        [_PROTOCOL,
         past_date("violation_date", T("დარღვევის თარიღი", "Date of the violation",
                                       "Дата нарушения")),
         field("reason", "long_text", T("რატომ არ ეთანხმებით", "Why you disagree",
                                        "Почему вы не согласны"), min_length=20, max_length=3000),
         mobile()],
        kind="letter"),
    service(
        "violation-evidence-request", "fines", "patrol",
        T("სამართალდარღვევის ფოტო-ვიდეო მასალის გამოთხოვა",
          "Request photo or video evidence of a violation",
          "Запрос фото- и видеоматериалов нарушения"),
        T("გამოითხოვეთ კამერის ჩანაწერი, რომლის საფუძველზეც ჯარიმა დაგეკისრათ.",
          "Request the camera recording on which your fine is based.",
          "Запросите запись камеры, на основании которой выписан штраф."),
        words("ვიდეო ფოტო კამერა ჩანაწერი ჯარიმა", "video photo camera recording evidence fine",
              "видео фото камера запись штраф"),
        [_PROTOCOL,
         field("plate_number", "text", T("სახელმწიფო ნომერი", "Registration plate",
                                         "Государственный номер"),
               pattern=r"[A-Z]{2}-?\d{3}-?[A-Z]{2}", example="AA-123-BB"),
         email(), mobile()]),
    service(
        "enforcement-case-info", "fines", "nbe",
        T("ინფორმაცია სააღსრულებო წარმოების შესახებ", "Information on an enforcement case",
          "Информация об исполнительном производстве"),
        T("გაიგეთ, რა ეტაპზეა თქვენთან დაკავშირებული სააღსრულებო წარმოება და რა თანხაა "
          "დარჩენილი.",
          "Find out the stage of an enforcement case concerning you and the amount still due.",
          "Узнайте, на каком этапе исполнительное производство в отношении вас и какая "
          "сумма осталась."),
        words("აღსრულება წარმოება ვალი ბიურო", "enforcement case debt bailiff",
              "исполнение производство долг бюро"),
        [field("case_number", "text", T("საქმის ნომერი", "Case number", "Номер дела"),
               required=False, max_length=30)],
        mode="online_only"),
    service(
        "driving-penalty-points", "fines", "mia-service",
        T("მართვის მოწმობის საჯარიმო ქულები", "Driving licence penalty points",
          "Штрафные баллы водительского удостоверения"),
        T("ნახეთ, რამდენი საჯარიმო ქულა გაქვთ დაგროვილი და როდის ჩამოგეწერებათ.",
          "See how many penalty points you have and when they expire.",
          "Узнайте, сколько у вас штрафных баллов и когда они будут списаны."),
        words("ქულა საჯარიმო მართვის მოწმობა", "penalty points driving licence",
              "баллы штрафные водительское удостоверение права"),
        [field("licence_number", "text", T("მართვის მოწმობის ნომერი", "Driving licence number",
                                           "Номер водительского удостоверения"),
               required=False, max_length=20)],
        mode="online_only"),
]
