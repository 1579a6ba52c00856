"""Wording and reference tables of the simulated partner ecosystem (see ``training.simulate``).

The simulator's hidden truth is expressed in ids (capability keys, ISO codes, industry ids); these
tables turn it into the words people actually write. Every capability has several *profile*
phrasings (how partners describe themselves) and several *buyer* phrasings (how a customer or
seller describes the need). The two sides never share a phrase, so a recommender has to match
meaning, not strings. Industry ids, partner types and segments come from ``matcher.taxonomy``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from matcher.taxonomy import INDUSTRIES


@dataclass(frozen=True)
class Capability:
    """Something a partner can do for a customer, with the ways each side words it.

    Attributes:
        key: stable id of the capability (never written to the files).
        core: partner types for which it is a core offering.
        secondary: partner types that sometimes offer it.
        profile: phrasings partners use (specialism tags, descriptions).
        buyer: gerund phrasings buyers use ("moving our records..."); never contain a profile one.
        industries: industries where the capability is especially common.
        assets: (kind, name) pairs of templates, integrations and accelerators built for it.
    """

    key: str
    core: tuple[str, ...]
    secondary: tuple[str, ...]
    profile: tuple[str, ...]
    buyer: tuple[str, ...]
    industries: tuple[str, ...] = ()
    assets: tuple[tuple[str, str], ...] = field(default=())


SI, CONS, MSP, ISV = "system_integrator", "consultancy", "managed_service_provider", "isv"
VAR, DIST, REF, AGENCY = "reseller", "distributor", "referral", "agency"

CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        "project_portfolio_management",
        (SI, CONS),
        (VAR, ISV),
        (
            "project portfolio management",
            "PPM",
            "portfolio governance and prioritisation",
            "portfolio planning and intake",
            "strategic portfolio management",
        ),
        (
            "deciding which of our many initiatives get funded and staffed first",
            "getting one view of every project the company is running and ranking them",
            "stopping pet projects from eating the budget by choosing work more deliberately",
            "lining up investment decisions across our business units",
        ),
        (),
        (
            ("template", "Portfolio intake and scoring"),
            ("accelerator", "Portfolio governance quick-start"),
            ("template", "Executive portfolio dashboard"),
        ),
    ),
    Capability(
        "pmo_setup",
        (CONS, SI),
        (),
        (
            "PMO setup",
            "project management office design",
            "delivery governance",
            "PMO as a service",
        ),
        (
            "standing up a central team that keeps our projects on track",
            "putting some order into how our projects are run and reported",
            "creating common project standards across departments",
        ),
        ("public_sector", "financial_services"),
        (("template", "PMO playbook"), ("accelerator", "PMO in a box")),
    ),
    Capability(
        "resource_management",
        (SI, CONS),
        (ISV,),
        (
            "resource management",
            "capacity planning",
            "resource and capacity planning",
            "workforce scheduling",
        ),
        (
            "knowing who is free to staff the next project",
            "balancing our people across too many parallel projects",
            "seeing whether we have enough hands for next quarter's work",
        ),
        ("professional_services",),
        (("template", "Resource capacity planner"), ("integration", "Workday HCM sync")),
    ),
    Capability(
        "data_migration",
        (SI,),
        (CONS, MSP),
        (
            "data migration",
            "legacy data migration",
            "data conversion and cleansing",
            "ETL and data onboarding",
        ),
        (
            "moving years of records out of our old system without losing history",
            "transferring the contents of hundreds of spreadsheets into the new platform",
            "bringing our historical records across from the tool we are retiring",
            "moving our legacy ERP records into the new platform",
        ),
        (),
        (("accelerator", "Legacy data migration toolkit"), ("template", "Data mapping workbook")),
    ),
    Capability(
        "erp_integration",
        (SI,),
        (ISV, CONS),
        (
            "ERP integration",
            "SAP integration",
            "ERP connectivity",
            "back-office system integration",
        ),
        (
            "connecting the platform to our SAP finance system",
            "keeping purchase orders and budgets in step with our back office",
            "linking project costs to the accounting system",
        ),
        ("manufacturing", "automotive", "consumer_goods"),
        (
            ("integration", "SAP S/4HANA connector"),
            ("integration", "Oracle NetSuite connector"),
            ("integration", "Microsoft Dynamics 365 connector"),
        ),
    ),
    Capability(
        "crm_integration",
        (SI, ISV),
        (AGENCY, VAR),
        (
            "CRM integration",
            "Salesforce integration",
            "CRM data synchronisation",
            "customer data sync",
        ),
        (
            "pulling won opportunities from Salesforce straight into delivery plans",
            "making sure sales and delivery look at the same customer records",
            "handing deals over from the sales team to delivery automatically",
        ),
        ("technology", "professional_services"),
        (("integration", "Salesforce connector"), ("integration", "HubSpot CRM sync")),
    ),
    Capability(
        "workflow_automation",
        (SI, CONS, ISV),
        (MSP, AGENCY, VAR),
        (
            "workflow automation",
            "process automation",
            "no-code automation",
            "business process automation",
        ),
        (
            "getting rid of manual approvals and copy-paste work",
            "making repetitive hand-offs between teams happen by themselves",
            "cutting the email chains around our sign-off steps",
        ),
        (),
        (("template", "Approval workflow pack"), ("accelerator", "Automation starter kit")),
    ),
    Capability(
        "reporting_analytics",
        (SI, CONS, ISV),
        (MSP,),
        (
            "reporting and dashboards",
            "business intelligence",
            "BI and analytics",
            "executive dashboards",
        ),
        (
            "giving leadership a live picture of progress and spend",
            "building management reports that don't take a week to assemble",
            "seeing at a glance which programmes are at risk",
        ),
        (),
        (
            ("integration", "Power BI connector"),
            ("integration", "Tableau connector"),
            ("template", "Executive reporting pack"),
        ),
    ),
    Capability(
        "change_management",
        (CONS,),
        (SI, AGENCY),
        (
            "change management",
            "user adoption",
            "adoption and enablement",
            "organisational change management",
        ),
        (
            "getting staff to actually use the new tool after go-live",
            "bringing reluctant teams along with a new way of doing things",
            "driving up usage after a slow start",
        ),
        ("public_sector", "healthcare"),
        (("template", "Adoption campaign kit"),),
    ),
    Capability(
        "training_enablement",
        (CONS, SI, VAR),
        (MSP, DIST),
        (
            "end-user training",
            "training and enablement",
            "admin training",
            "certification coaching",
        ),
        (
            "teaching two hundred staff how to use the platform",
            "bringing our administrators up to speed quickly",
            "running classes for new users in several offices",
        ),
        ("education",),
        (("template", "Onboarding course library"),),
    ),
    Capability(
        "implementation",
        (SI, VAR, CONS),
        (MSP,),
        (
            "implementation services",
            "platform rollout",
            "deployment and configuration",
            "solution implementation",
        ),
        (
            "setting the platform up for our company from scratch",
            "getting the first teams live within a couple of months",
            "configuring the tool around how we already work",
        ),
        (),
        (("accelerator", "Rapid rollout accelerator"), ("template", "Go-live checklist")),
    ),
    Capability(
        "custom_development",
        (SI, ISV),
        (CONS,),
        ("custom development", "API development", "custom integrations", "bespoke extensions"),
        (
            "building something tailor-made on top of the platform's interfaces",
            "writing code to link an in-house application",
            "extending the product where the standard features stop",
        ),
        ("technology",),
        (("accelerator", "API integration framework"),),
    ),
    Capability(
        "cloud_migration",
        (MSP, SI),
        (VAR,),
        ("cloud migration", "SaaS migration", "cloud transition", "on-premise to cloud migration"),
        (
            "retiring our on-prem servers and moving everything online",
            "leaving the self-hosted version behind",
            "switching from installed software to the hosted service",
        ),
        (),
        (("accelerator", "Cloud move accelerator"),),
    ),
    Capability(
        "identity_access",
        (MSP, SI),
        (ISV,),
        (
            "single sign-on",
            "SSO and identity management",
            "identity and access management",
            "user provisioning",
        ),
        (
            "letting staff log in with their existing company accounts",
            "switching accounts on and off automatically when people join or leave",
            "tying logins to our Azure directory",
        ),
        ("banking", "financial_services"),
        (("integration", "Okta SCIM provisioning"), ("integration", "Microsoft Entra ID sync")),
    ),
    Capability(
        "security_compliance",
        (MSP, CONS),
        (SI,),
        (
            "security and compliance",
            "compliance consulting",
            "GDPR compliance",
            "regulatory compliance",
            "ISO 27001 readiness",
        ),
        (
            "passing our next audit with the new tool in place",
            "proving to regulators that personal data is handled properly",
            "meeting strict data-protection rules",
        ),
        ("banking", "insurance", "financial_services", "healthcare", "public_sector"),
        (("template", "Compliance evidence tracker"),),
    ),
    Capability(
        "transformation_strategy",
        (CONS,),
        (SI,),
        (
            "digital transformation strategy",
            "strategy consulting",
            "operating model design",
            "transformation advisory",
        ),
        (
            "working out how our organisation should run in three years' time",
            "rethinking our operating structure before we pick tools",
            "mapping out how to modernise the way the business works",
        ),
        (),
        (("template", "Transformation roadmap canvas"),),
    ),
    Capability(
        "agile_transformation",
        (CONS,),
        (SI,),
        ("agile transformation", "scaled agile (SAFe)", "agile coaching", "agile ways of working"),
        (
            "moving our teams to short iterative delivery cycles",
            "coaching product teams through sprints and release trains",
            "replacing waterfall planning with something more flexible",
        ),
        ("technology", "banking", "telecommunications"),
        (("template", "Sprint planning board"),),
    ),
    Capability(
        "financial_planning",
        (CONS, SI),
        (ISV,),
        ("financial planning", "budgeting and forecasting", "FP&A", "project cost control"),
        (
            "tracking what each project really costs against its budget",
            "forecasting spend for the coming year",
            "tightening the purse strings on our initiatives",
        ),
        ("financial_services", "professional_services"),
        (("template", "Budget vs actuals tracker"),),
    ),
    Capability(
        "it_service_management",
        (MSP, SI),
        (ISV,),
        ("IT service management", "ITSM", "service desk", "ITIL processes"),
        (
            "running IT requests and incidents through one queue",
            "handling tickets from employees more smoothly",
            "linking IT incidents to the projects they block",
        ),
        ("technology", "telecommunications"),
        (
            ("integration", "ServiceNow connector"),
            ("integration", "Jira Service Management bridge"),
        ),
    ),
    Capability(
        "managed_operations",
        (MSP,),
        (VAR, SI),
        (
            "managed services",
            "managed operations",
            "platform administration as a service",
            "run and operate",
        ),
        (
            "handing day-to-day administration of the tool to someone else",
            "outsourcing the running of the platform so our IT team can focus elsewhere",
            "having an outside team look after upgrades and user changes",
        ),
        (),
        (("accelerator", "Managed admin runbook"),),
    ),
    Capability(
        "support_247",
        (MSP,),
        (VAR, DIST),
        ("24/7 support", "round-the-clock support", "follow-the-sun helpdesk", "L1-L3 support"),
        (
            "having someone to call at any hour when things break",
            "covering users across time zones, nights and weekends included",
            "getting our users fast answers whenever they are working",
        ),
        ("hospitality_travel", "transportation_logistics"),
    ),
    Capability(
        "security_monitoring",
        (MSP,),
        (SI,),
        (
            "security monitoring",
            "SOC services",
            "managed detection and response",
            "threat monitoring",
        ),
        (
            "watching for suspicious logins and data leaks",
            "being alerted straight away if someone misuses our accounts",
            "keeping an eye on our environment for attacks",
        ),
        ("banking", "aerospace_defense", "public_sector"),
        (("integration", "Splunk audit-log connector"),),
    ),
    Capability(
        "backup_recovery",
        (MSP,),
        (VAR,),
        ("backup and disaster recovery", "business continuity", "data backup and restore"),
        (
            "making sure we can get our data back if something is deleted",
            "keeping work going if the service goes down",
            "keeping independent copies of our project data",
        ),
        (),
        (("accelerator", "Backup and restore kit"),),
    ),
    Capability(
        "licence_management",
        (VAR, DIST, MSP),
        (),
        (
            "licence management",
            "subscription management",
            "SaaS licence optimisation",
            "licence renewals",
        ),
        (
            "paying only for the seats we actually use",
            "keeping track of renewal dates and user counts",
            "cutting unused subscriptions",
        ),
        (),
        (("template", "Seat usage review"),),
    ),
    Capability(
        "licensing_procurement",
        (VAR, DIST),
        (REF,),
        ("licence resale", "procurement and licensing", "volume licensing", "software procurement"),
        (
            "buying seats through our usual supplier with local invoicing",
            "purchasing in local currency on our standard terms",
            "handling the purchasing paperwork and invoices for us",
        ),
        ("public_sector", "education"),
    ),
    Capability(
        "channel_distribution",
        (DIST,),
        (VAR,),
        (
            "channel distribution",
            "reseller enablement",
            "two-tier distribution",
            "partner recruitment",
        ),
        (
            "reaching small resellers in markets where we have no presence",
            "getting our product into the hands of local dealers",
            "building a network of regional sellers",
        ),
        (),
    ),
    Capability(
        "quick_start_packages",
        (VAR,),
        (MSP, SI),
        (
            "quick-start packages",
            "bundled onboarding",
            "jumpstart services",
            "fixed-price onboarding",
        ),
        (
            "getting a single team going with a small fixed-scope package",
            "getting started quickly without a big consulting project",
            "taking a small office live on a tight budget",
        ),
        (),
        (("accelerator", "Two-week jumpstart"),),
    ),
    Capability(
        "marketing_automation",
        (AGENCY,),
        (ISV, SI),
        (
            "marketing automation",
            "campaign automation",
            "lead nurturing",
            "email marketing automation",
        ),
        (
            "sending the right emails to prospects automatically based on what they do",
            "scoring and following up inbound leads without manual work",
            "warming up sign-ups until they're ready to talk to sales",
        ),
        ("retail", "consumer_goods", "technology"),
        (
            ("integration", "Marketo sync"),
            ("integration", "HubSpot Marketing Hub connector"),
            ("template", "Nurture campaign planner"),
        ),
    ),
    Capability(
        "campaign_operations",
        (AGENCY,),
        (),
        ("campaign operations", "campaign management", "marketing operations", "marketing ops"),
        (
            "planning and tracking all our launches and promotions in one place",
            "coordinating briefs, approvals and deadlines for the marketing team",
            "keeping our events and product launches on schedule",
        ),
        ("retail", "consumer_goods", "media_entertainment"),
        (("template", "Campaign calendar"), ("template", "Creative brief intake")),
    ),
    Capability(
        "creative_production",
        (AGENCY,),
        (),
        ("content production", "creative services", "creative operations", "content workflows"),
        (
            "getting designs and copy reviewed and signed off faster",
            "managing a steady stream of artwork requests",
            "keeping brand assets and feedback rounds organised",
        ),
        ("media_entertainment", "retail", "consumer_goods"),
        (("template", "Creative review workflow"),),
    ),
    Capability(
        "web_development",
        (AGENCY,),
        (ISV,),
        ("website development", "web design", "digital experience", "web portals"),
        (
            "building a customer-facing site where clients can follow their orders",
            "setting up a public page where people can send us requests",
            "giving clients a portal onto their project data",
        ),
        ("retail", "hospitality_travel"),
    ),
    Capability(
        "demand_generation",
        (AGENCY, REF),
        (VAR,),
        ("demand generation", "lead generation", "account-based marketing", "pipeline generation"),
        (
            "filling the sales funnel with more qualified prospects",
            "finding new customers among our target accounts",
            "getting more meetings booked for our sales reps",
        ),
        ("technology",),
    ),
    Capability(
        "connectors_addons",
        (ISV,),
        (),
        ("connectors", "add-ons", "marketplace apps", "plug-ins", "platform extensions"),
        (
            "finding an off-the-shelf app that links the platform to the other tools we use",
            "installing a ready-made extension instead of building one",
            "bridging our chat tool and the work tracker with something ready-made",
        ),
        ("technology",),
        (
            ("integration", "Microsoft Teams app"),
            ("integration", "Slack notifications"),
            ("integration", "Google Workspace sync"),
            ("integration", "Jira Cloud sync"),
        ),
    ),
    Capability(
        "document_management",
        (ISV,),
        (SI, MSP),
        ("document management", "e-signature workflows", "document control", "records management"),
        (
            "keeping contracts and drawings versioned and easy to find",
            "getting documents signed without printing them",
            "controlling who can see and edit our files",
        ),
        ("construction_engineering", "professional_services", "life_sciences"),
        (
            ("integration", "DocuSign e-signature"),
            ("integration", "SharePoint document sync"),
            ("integration", "Box connector"),
        ),
    ),
    Capability(
        "time_tracking",
        (ISV,),
        (SI, CONS),
        ("time tracking", "timesheets", "time and expense", "billable hours tracking"),
        (
            "recording the hours people spend on each client",
            "getting staff to log their working hours without nagging",
            "billing clients accurately for the hours we put in",
        ),
        ("professional_services",),
        (("integration", "Harvest time sync"), ("template", "Timesheet approval flow")),
    ),
    Capability(
        "field_service",
        (ISV, SI),
        (),
        (
            "field service management",
            "mobile workforce management",
            "work order management",
            "field operations",
        ),
        (
            "dispatching technicians to customer sites and tracking their jobs",
            "giving crews on the road their job lists on a phone",
            "scheduling maintenance visits across the region",
        ),
        ("energy_utilities", "telecommunications", "construction_engineering", "manufacturing"),
        (("template", "Work order tracker"), ("integration", "Mobile field app")),
    ),
    Capability(
        "construction_project_controls",
        (SI, ISV, CONS),
        (),
        (
            "construction project management",
            "capital project controls",
            "site coordination",
            "construction scheduling",
        ),
        (
            "keeping building sites, subcontractors and drawings coordinated",
            "running our capital building programme with fewer delays",
            "tracking progress on several sites at once",
        ),
        ("construction_engineering", "real_estate", "energy_utilities"),
        (("template", "Site progress tracker"), ("integration", "Procore connector")),
    ),
    Capability(
        "clinical_operations",
        (SI, CONS, ISV),
        (),
        (
            "clinical operations",
            "clinical trial management",
            "patient-care workflows",
            "GxP validation",
        ),
        (
            "coordinating our trial sites and study milestones",
            "running ward and care-team processes on one platform",
            "validating the platform for regulated lab work",
        ),
        ("healthcare", "life_sciences"),
        (("template", "Clinical study tracker"), ("accelerator", "GxP validation pack")),
    ),
    Capability(
        "technology_advisory",
        (REF, CONS),
        (VAR,),
        ("solution advisory", "software selection", "technology advisory", "vendor selection"),
        (
            "choosing the right tool for our teams before we commit",
            "getting an independent opinion on which product fits us",
            "comparing options for replacing our current planning tool",
        ),
        (),
    ),
)
CAPABILITY_KEYS: tuple[str, ...] = tuple(capability.key for capability in CAPABILITIES)

# What defines each business model: nearly every partner of the type offers these.
SIGNATURE_CAPABILITIES: dict[str, tuple[str, ...]] = {
    "reseller": ("licensing_procurement",),
    "system_integrator": ("implementation",),
    "managed_service_provider": ("managed_operations",),
    "isv": ("connectors_addons",),
    "referral": ("technology_advisory", "demand_generation"),
    "consultancy": ("transformation_strategy",),
    "distributor": ("channel_distribution",),
    "agency": ("campaign_operations", "marketing_automation"),
}


@dataclass(frozen=True)
class Country:
    """A country the vendor sells in: ISO code, English name, market weight, cluster, languages.

    ``languages`` are the ISO 639-1 codes business is done in, the most used first; a partner
    serving the country speaks at least one of them.
    """

    code: str
    name: str
    weight: float
    cluster: str
    macro: str
    languages: tuple[str, ...]
    legal_forms: tuple[str, ...]

    @property
    def prose(self) -> str:
        """The name as it reads in a sentence ("in the Netherlands")."""
        return f"the {self.name}" if self.name in _NAMES_WITH_ARTICLE else self.name


_NAMES_WITH_ARTICLE = {
    "United States",
    "United Kingdom",
    "Netherlands",
    "Philippines",
    "United Arab Emirates",
}

COUNTRIES: tuple[Country, ...] = (
    Country("DE", "Germany", 8.0, "dach", "emea", ("de",), ("GmbH", "AG", "GmbH & Co. KG")),
    Country("AT", "Austria", 1.5, "dach", "emea", ("de",), ("GmbH",)),
    Country("CH", "Switzerland", 2.0, "dach", "emea", ("de", "fr", "it"), ("AG", "GmbH", "SA")),
    Country("NL", "Netherlands", 3.0, "benelux", "emea", ("nl",), ("B.V.",)),
    Country("BE", "Belgium", 1.5, "benelux", "emea", ("nl", "fr"), ("NV", "SA", "BV")),
    Country("LU", "Luxembourg", 0.3, "benelux", "emea", ("fr", "de"), ("S.à r.l.", "SA")),
    Country("SE", "Sweden", 2.0, "nordics", "emea", ("sv",), ("AB",)),
    Country("DK", "Denmark", 1.2, "nordics", "emea", ("da",), ("ApS", "A/S")),
    Country("NO", "Norway", 1.2, "nordics", "emea", ("no",), ("AS",)),
    Country("FI", "Finland", 1.0, "nordics", "emea", ("fi", "sv"), ("Oy",)),
    Country("IS", "Iceland", 0.1, "nordics", "emea", ("is",), ("ehf.",)),
    Country("GB", "United Kingdom", 8.0, "uki", "emea", ("en",), ("Ltd", "LLP", "plc")),
    Country("IE", "Ireland", 1.0, "uki", "emea", ("en",), ("Ltd", "DAC")),
    Country("FR", "France", 6.0, "france", "emea", ("fr",), ("SAS", "SARL", "SA")),
    Country("ES", "Spain", 3.5, "iberia", "emea", ("es",), ("S.L.", "S.A.")),
    Country("PT", "Portugal", 1.0, "iberia", "emea", ("pt",), ("Lda", "S.A.")),
    Country("IT", "Italy", 4.0, "italy", "emea", ("it",), ("S.r.l.", "S.p.A.")),
    Country("PL", "Poland", 2.0, "cee", "emea", ("pl",), ("Sp. z o.o.",)),
    Country("CZ", "Czechia", 1.0, "cee", "emea", ("cs",), ("s.r.o.",)),
    Country("HU", "Hungary", 0.6, "cee", "emea", ("hu",), ("Kft.",)),
    Country("RO", "Romania", 0.7, "cee", "emea", ("ro",), ("S.R.L.",)),
    Country("US", "United States", 25.0, "north_america", "amer", ("en",), ("Inc.", "LLC")),
    Country("CA", "Canada", 3.5, "north_america", "amer", ("en", "fr"), ("Inc.", "Ltd")),
    Country("MX", "Mexico", 2.0, "latam", "amer", ("es",), ("S.A. de C.V.",)),
    Country("BR", "Brazil", 3.0, "latam", "amer", ("pt",), ("Ltda.", "S.A.")),
    Country("AR", "Argentina", 1.0, "latam", "amer", ("es",), ("S.R.L.", "S.A.")),
    Country("CO", "Colombia", 0.8, "latam", "amer", ("es",), ("S.A.S.",)),
    Country("CL", "Chile", 0.7, "latam", "amer", ("es",), ("SpA", "Ltda.")),
    Country("AU", "Australia", 3.5, "anz", "apac", ("en",), ("Pty Ltd",)),
    Country("NZ", "New Zealand", 0.8, "anz", "apac", ("en",), ("Ltd",)),
    Country("JP", "Japan", 4.0, "japan", "apac", ("ja",), ("K.K.", "G.K.")),
    Country("KR", "South Korea", 1.5, "korea", "apac", ("ko",), ("Co., Ltd.",)),
    Country("CN", "China", 2.0, "greater_china", "apac", ("zh",), ("Co., Ltd.",)),
    Country("HK", "Hong Kong", 0.8, "greater_china", "apac", ("zh", "en"), ("Limited",)),
    Country("TW", "Taiwan", 0.7, "greater_china", "apac", ("zh",), ("Co., Ltd.",)),
    Country("SG", "Singapore", 1.5, "sea", "apac", ("en", "zh", "ms"), ("Pte Ltd",)),
    Country("MY", "Malaysia", 0.7, "sea", "apac", ("ms", "en"), ("Sdn Bhd",)),
    Country("TH", "Thailand", 0.6, "sea", "apac", ("th",), ("Co., Ltd.",)),
    Country("ID", "Indonesia", 0.8, "sea", "apac", ("id",), ("PT",)),
    Country("PH", "Philippines", 0.6, "sea", "apac", ("en", "tl"), ("Inc.", "Corp.")),
    Country("VN", "Vietnam", 0.5, "sea", "apac", ("vi",), ("JSC", "Co., Ltd.")),
    Country("IN", "India", 3.0, "india", "apac", ("en", "hi"), ("Pvt Ltd",)),
    Country(
        "AE", "United Arab Emirates", 1.2, "middle_east", "emea", ("ar", "en"), ("LLC", "FZ-LLC")
    ),
    Country("SA", "Saudi Arabia", 1.0, "middle_east", "emea", ("ar",), ("LLC",)),
    Country("IL", "Israel", 0.8, "middle_east", "emea", ("he", "en"), ("Ltd",)),
    Country("TR", "Turkey", 1.0, "middle_east", "emea", ("tr",), ("A.Ş.", "Ltd. Şti.")),
    Country("ZA", "South Africa", 1.0, "africa", "emea", ("en", "af"), ("(Pty) Ltd",)),
    Country("NG", "Nigeria", 0.5, "africa", "emea", ("en",), ("Ltd",)),
    Country("KE", "Kenya", 0.4, "africa", "emea", ("en", "sw"), ("Ltd",)),
)
COUNTRY_CODES: tuple[str, ...] = tuple(country.code for country in COUNTRIES)

LANGUAGE_CODES: tuple[str, ...] = tuple(
    dict.fromkeys(code for country in COUNTRIES for code in country.languages)
)
# English names the ingestion normaliser accepts (codes without an entry are always written as
# codes: pycountry calls Malay and Swahili "macrolanguages", so their plain names do not resolve).
LANGUAGE_NAMES: dict[str, str] = {
    "de": "German",
    "fr": "French",
    "it": "Italian",
    "nl": "Dutch",
    "sv": "Swedish",
    "da": "Danish",
    "no": "Norwegian",
    "fi": "Finnish",
    "is": "Icelandic",
    "en": "English",
    "es": "Spanish",
    "pt": "Portuguese",
    "pl": "Polish",
    "cs": "Czech",
    "hu": "Hungarian",
    "ro": "Romanian",
    "ja": "Japanese",
    "ko": "Korean",
    "zh": "Chinese",
    "th": "Thai",
    "id": "Indonesian",
    "tl": "Tagalog",
    "vi": "Vietnamese",
    "hi": "Hindi",
    "ar": "Arabic",
    "he": "Hebrew",
    "tr": "Turkish",
    "af": "Afrikaans",
}
# English names for prose (descriptions), including those the normaliser does not accept.
LANGUAGE_PROSE_NAMES: dict[str, str] = {**LANGUAGE_NAMES, "ms": "Malay", "sw": "Swahili"}
# Region words written instead of the country list when a partner serves exactly that region.
REGION_WORDS: dict[str, str] = {
    "dach": "DACH",
    "benelux": "Benelux",
    "nordics": "Nordics",
    "north america": "North America",
}

# Relative popularity of the industries among the vendor's customers (ids of DESIGN.md 3.4).
INDUSTRY_WEIGHTS: dict[str, float] = {
    "agriculture": 1.0,
    "automotive": 3.0,
    "aerospace_defense": 2.0,
    "banking": 4.0,
    "construction_engineering": 5.0,
    "consumer_goods": 4.0,
    "education": 4.0,
    "energy_utilities": 4.0,
    "financial_services": 6.0,
    "healthcare": 6.0,
    "hospitality_travel": 2.0,
    "insurance": 4.0,
    "life_sciences": 4.0,
    "manufacturing": 8.0,
    "media_entertainment": 3.0,
    "nonprofit": 2.0,
    "professional_services": 7.0,
    "public_sector": 6.0,
    "real_estate": 2.0,
    "retail": 6.0,
    "technology": 8.0,
    "telecommunications": 3.0,
    "transportation_logistics": 4.0,
}
INDUSTRY_IDS: tuple[str, ...] = tuple(INDUSTRIES)

# How partners name the customers of an industry, and how buyers name their own organisation.
INDUSTRY_PROFILE_WORDS: dict[str, tuple[str, ...]] = {
    "agriculture": ("agriculture", "agribusiness"),
    "automotive": ("automotive", "the automotive supply chain"),
    "aerospace_defense": ("aerospace and defence", "defence"),
    "banking": ("banking", "retail and commercial banking"),
    "construction_engineering": ("construction and engineering", "AEC"),
    "consumer_goods": ("consumer goods", "CPG"),
    "education": ("education", "higher education"),
    "energy_utilities": ("energy and utilities", "utilities"),
    "financial_services": ("financial services", "asset management"),
    "healthcare": ("healthcare", "health care"),
    "hospitality_travel": ("hospitality and travel", "hospitality"),
    "insurance": ("insurance", "the insurance sector"),
    "life_sciences": ("life sciences", "pharma and biotech"),
    "manufacturing": ("manufacturing", "industrial manufacturing"),
    "media_entertainment": ("media and entertainment", "publishing and broadcasting"),
    "nonprofit": ("the non-profit sector", "charities and NGOs"),
    "professional_services": ("professional services", "legal and accounting"),
    "public_sector": ("the public sector", "government"),
    "real_estate": ("real estate", "property development"),
    "retail": ("retail", "e-commerce"),
    "technology": ("technology", "high tech"),
    "telecommunications": ("telecommunications", "telecoms"),
    "transportation_logistics": ("transport and logistics", "supply chain and logistics"),
}
INDUSTRY_BUYER_WORDS: dict[str, tuple[str, ...]] = {
    "agriculture": ("farming cooperative", "crop-science business"),
    "automotive": ("car-parts maker", "vehicle manufacturer"),
    "aerospace_defense": ("aircraft-components supplier", "defence contractor"),
    "banking": ("regional bank", "retail bank"),
    "construction_engineering": ("building contractor", "civil-engineering firm"),
    "consumer_goods": ("household-brands company", "food and drinks producer"),
    "education": ("university", "school district"),
    "energy_utilities": ("water utility", "power company"),
    "financial_services": ("asset-management firm", "payments company"),
    "healthcare": ("hospital group", "network of clinics"),
    "hospitality_travel": ("hotel chain", "tour operator"),
    "insurance": ("insurer", "insurance broker"),
    "life_sciences": ("pharmaceutical company", "biotech"),
    "manufacturing": ("machine builder", "industrial manufacturer"),
    "media_entertainment": ("publishing house", "streaming studio"),
    "nonprofit": ("charity", "humanitarian NGO"),
    "professional_services": ("law firm", "accounting practice"),
    "public_sector": ("city council", "government ministry"),
    "real_estate": ("property developer", "real-estate investor"),
    "retail": ("fashion retailer", "supermarket chain"),
    "technology": ("software company", "SaaS scale-up"),
    "telecommunications": ("mobile operator", "broadband provider"),
    "transportation_logistics": ("freight forwarder", "logistics firm"),
}

SEGMENT_PROFILE_WORDS: dict[str, tuple[str, ...]] = {
    "smb": ("small businesses", "SMB customers"),
    "mid_market": ("mid-sized companies", "mid-market organisations"),
    "enterprise": ("large enterprises", "global corporations"),
    "public_sector": ("public-sector bodies", "government agencies"),
}
SEGMENT_BUYER_WORDS: dict[str, tuple[str, ...]] = {
    "smb": ("small", "family-owned"),
    "mid_market": ("mid-sized", "growing"),
    "enterprise": ("large", "multinational"),
    "public_sector": ("publicly funded", "state-owned"),
}

TYPE_PROFILE_WORDS: dict[str, tuple[str, ...]] = {
    "reseller": (
        "value-added reseller",
        "VAR",
        "reseller and services provider",
        "authorised reseller",
    ),
    "system_integrator": ("systems integrator", "implementation partner", "integration specialist"),
    "managed_service_provider": ("managed service provider", "MSP", "managed services company"),
    "isv": ("software vendor", "ISV", "technology partner", "app developer"),
    "referral": ("referral partner", "independent advisor", "affiliate partner"),
    "consultancy": ("consultancy", "management consultancy", "boutique consulting firm"),
    "distributor": ("distributor", "value-added distributor", "software distributor"),
    "agency": ("marketing agency", "digital agency", "creative agency"),
}
TYPE_FLOURISHES: dict[str, tuple[str, ...]] = {
    "reseller": ("Licences, renewals and first-line help from one supplier.",),
    "system_integrator": ("More than {count} projects delivered on the platform.",),
    "managed_service_provider": ("Fixed monthly pricing, no surprises.",),
    "isv": ("Our apps are listed on the vendor marketplace.",),
    "referral": ("We introduce customers to the right vendors and stay close through the sale.",),
    "consultancy": ("Senior consultants only.", "Independent and vendor-neutral."),
    "distributor": ("We supply {count} resellers.",),
    "agency": ("Award-winning campaigns for B2B brands.",),
}
TYPE_NAME_WORDS: dict[str, tuple[str, ...]] = {
    "reseller": ("Solutions", "IT", "Systems", "Technologies"),
    "system_integrator": ("Consulting", "Solutions", "Digital", "Integration", "Technologies"),
    "managed_service_provider": ("Managed Services", "IT Services", "Cloud", "Networks"),
    "isv": ("Software", "Labs", "Apps", "Technologies"),
    "referral": ("Partners", "Advisors", "Associates"),
    "consultancy": ("Consulting", "Advisory", "Partners", "Group"),
    "distributor": ("Distribution", "Trading", "Group"),
    "agency": ("Marketing", "Media", "Creative", "Digital"),
}
NAME_STARTS: tuple[str, ...] = (
    "Blue", "North", "Bright", "Summit", "Nova", "Apex", "Clear", "Vertex", "Harbor", "Granite",
    "Silver", "Orbit", "Pioneer", "Kite", "Maple", "Cedar", "Atlas", "Beacon", "Iron", "Lumen",
    "Quantum", "River", "Stone", "True", "Zen", "Agile", "Prime", "Core", "Helix", "Vector",
    "Polar", "Sky", "Nimbus", "Echo", "Falcon", "Delta", "Sigma", "Alto", "Bold", "Crest",
)  # fmt: skip
NAME_ENDS: tuple[str, ...] = (
    "path", "bridge", "wave", "point", "line", "works", "field", "stone", "gate", "light",
    "forge", "peak", "leaf", "port", "mark", "shift", "scale", "sphere", "logic", "flow",
    "view", "spring", "wind", "ridge", "bay",
)  # fmt: skip


@dataclass(frozen=True)
class CertificationSpec:
    """A vendor certification and who tends to hold it (by partner type and capability)."""

    name: str
    base_logit: float
    types: tuple[str, ...]
    capabilities: tuple[str, ...]


CERTIFICATIONS: tuple[CertificationSpec, ...] = (
    CertificationSpec("Certified Solution Partner", -1.6, (SI, CONS, VAR, MSP), ()),
    CertificationSpec("Implementation Specialist", -3.0, (SI, CONS), ("implementation",)),
    CertificationSpec("Certified Administrator", -3.0, (MSP, SI, VAR), ("managed_operations",)),
    CertificationSpec("Data Migration Expert", -3.5, (), ("data_migration", "cloud_migration")),
    CertificationSpec(
        "Integration Developer",
        -3.5,
        (ISV,),
        ("erp_integration", "crm_integration", "custom_development", "connectors_addons"),
    ),
    CertificationSpec(
        "Security Practitioner",
        -3.5,
        (),
        ("security_compliance", "security_monitoring", "identity_access"),
    ),
    CertificationSpec(
        "Portfolio Management Professional",
        -3.5,
        (),
        ("project_portfolio_management", "pmo_setup", "resource_management"),
    ),
    CertificationSpec("Automation Architect", -3.5, (), ("workflow_automation",)),
    CertificationSpec(
        "Managed Service Operations", -3.5, (MSP,), ("managed_operations", "support_247")
    ),
    CertificationSpec("Sales Professional", -2.8, (VAR, DIST, REF), ()),
    CertificationSpec(
        "Marketing Automation Specialist",
        -3.5,
        (AGENCY,),
        ("marketing_automation", "campaign_operations"),
    ),
    CertificationSpec("Validated App Developer", -3.0, (ISV,), ("connectors_addons",)),
    CertificationSpec("Reporting & Analytics Specialist", -3.5, (), ("reporting_analytics",)),
    CertificationSpec(
        "Change Management Practitioner",
        -3.5,
        (CONS,),
        ("change_management", "training_enablement"),
    ),
)
CERTIFICATION_NAMES: tuple[str, ...] = tuple(spec.name for spec in CERTIFICATIONS)

# Partner descriptions: one intro, one focus sentence, optionally reach and a type flourish.
INTRO_TEMPLATES: tuple[str, ...] = (
    "{name} is {type} based in {home}.",
    "Founded in {year}, {name} is {type} headquartered in {home}.",
    "{name} ({home}) is {type} with {employees} people.",
    "Headquartered in {home}, {name} is {type}.",
    "{name}: {type} from {home}.",
)
FOCUS_TEMPLATES: tuple[str, ...] = (
    "We help {segments} in {industries} with {capabilities}.",
    "Our work centres on {capabilities} for clients in {industries}.",
    "Specialised in {capabilities}, mostly for {segments}.",
    "Core services: {capabilities}.",
    "Known for {capabilities} in {industries}.",
    "We deliver {capabilities} to {segments} across {industries}.",
)
REACH_TEMPLATES: tuple[str, ...] = (
    "Active across {countries}.",
    "We serve clients in {countries}, working in {languages}.",
    "Delivery in {languages}.",
    "Offices and clients in {countries}.",
)

# Buyer-side wording: judged deal requests and historical deal notes.
DEAL_TEMPLATES: tuple[str, ...] = (
    "We need help {needs}. We're a {segment} {industry} in {country}.",
    "{Segment} {industry} based in {country} looking for a partner experienced in {needs}.",
    "Our {industry} in {country} wants support with {needs}.",
    "Can anyone help us with {needs}? We are a {segment} {industry} operating in {country}.",
    "Project: {needs}. Customer: a {segment} {industry} in {country}.",
    "As a {segment} {industry} in {country}, we are after someone for {needs}.",
)
DEAL_LANGUAGE_TEMPLATES: tuple[str, ...] = (
    "Workshops have to run in {language}.",
    "The team must speak {language}.",
    "Everything has to be delivered in {language}.",
)
DEAL_BUDGET_TEMPLATE = "Budget around {amount}."
OUTCOME_TEMPLATES: tuple[str, ...] = (
    "{Segment} {industry} in {country}: {needs}.",
    "{needs_cap} for a {segment} {industry} in {country}.",
    "{Segment} {industry} in {country} - {needs}.",
)

# Which related partner types a seller would accept alongside the one they think of first.
RELATED_TYPES: dict[str, tuple[str, ...]] = {
    "reseller": ("distributor", "managed_service_provider"),
    "system_integrator": ("consultancy",),
    "managed_service_provider": ("reseller", "system_integrator"),
    "isv": (),
    "referral": ("reseller",),
    "consultancy": ("system_integrator",),
    "distributor": ("reseller",),
    "agency": ("consultancy",),
}
