"""Leads in the import and export pipeline (guanxi.dataio): trade-show lists and business-card
exports come in as CSV or XLSX, duplicates marked by email, mobile and phone; imported leads
are scored and go through the assignment rules in one batch."""

from __future__ import annotations

from guanxi.dataio.registry import DataType, DuplicateRule, ImportField, register
from guanxi.dataio.rows import visible_record_by_name_or_code
from guanxi.marketing.models import Campaign

from . import services
from .filters import LeadFilterSet
from .models import Lead

campaign_by_name = visible_record_by_name_or_code(Campaign)

register(
    DataType(
        key="lead",
        plural="leads",
        model=Lead,
        filterset=LeadFilterSet,
        create=services.import_lead,
        create_bulk=services.create_leads_bulk,
        list_url_name="leads:lead-list",
        fields=(
            ImportField(
                "person_name",
                aliases=(
                    "姓名",
                    "名字",
                    "联系人",
                    "联系人姓名",
                    "客户姓名",
                    "name",
                    "full name",
                    "contact",
                    "contact name",
                ),
            ),
            ImportField(
                "company",
                aliases=(
                    "公司",
                    "公司名称",
                    "单位",
                    "单位名称",
                    "企业名称",
                    "company",
                    "company name",
                    "organisation",
                    "organization",
                ),
            ),
            ImportField("title", aliases=("职位", "职务", "头衔", "position", "job title")),
            ImportField(
                "mobile",
                aliases=("手机", "手机号", "手机号码", "移动电话", "cell", "cellphone", "mobile"),
            ),
            ImportField(
                "phone",
                aliases=(
                    "电话",
                    "座机",
                    "办公电话",
                    "固定电话",
                    "tel",
                    "telephone",
                    "office phone",
                ),
            ),
            ImportField("email", aliases=("邮箱", "电子邮箱", "电子邮件", "e-mail", "mail")),
            ImportField("source", aliases=("来源", "线索来源", "lead source")),
            ImportField(
                "campaign",
                aliases=("市场活动", "活动", "展会", "campaign", "event"),
                resolve=campaign_by_name,
            ),
            ImportField("industry", aliases=("行业", "所属行业", "sector")),
            ImportField("province", aliases=("省", "省份", "state")),
            ImportField("city", aliases=("城市", "市", "town")),
            ImportField(
                "product_interest",
                aliases=("意向产品", "感兴趣的产品", "产品", "product", "interest"),
            ),
            ImportField("budget", aliases=("预算", "budget")),
            ImportField("currency", aliases=("币种", "货币")),
            ImportField("need", aliases=("需求", "需求描述", "requirement", "needs")),
            ImportField(
                "decision_timeline", aliases=("决策时间", "采购时间", "购买时间", "timeline")
            ),
            ImportField("notes", aliases=("备注", "说明", "remark", "remarks", "comments")),
            ImportField("tags", aliases=("标签", "tag", "labels")),
            ImportField(
                "owner", aliases=("负责人", "销售", "跟进人", "所有者", "lead owner", "sales rep")
            ),
        ),
        duplicate_rules=(
            DuplicateRule("email"),
            DuplicateRule("mobile"),
            DuplicateRule("phone", match="phone"),
        ),
        export_fields=(
            "id",
            "person_name",
            "company",
            "title",
            "mobile",
            "phone",
            "email",
            "source",
            "campaign",
            "industry",
            "province",
            "city",
            "product_interest",
            "budget",
            "currency",
            "need",
            "decision_timeline",
            "status",
            "disqualify_reason",
            "score",
            "notes",
            "tags",
            "owner",
            "team",
            "first_contacted_at",
            "created_at",
            "updated_at",
        ),
        export_select_related=("owner", "team", "campaign"),
        export_prefetch_related=("tags",),
    )
)
