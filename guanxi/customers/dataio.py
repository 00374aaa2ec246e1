"""Accounts and contacts in the import and export pipeline (guanxi.dataio)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.dataio.registry import DataType, DuplicateRule, ImportField, register
from guanxi.dataio.rows import visible_record_by_name_or_code

from . import services
from .filters import AccountFilterSet, ContactFilterSet
from .models import Account, Contact
from .selectors import likely_duplicates, normalised_name

account_by_name_or_tax_number = visible_record_by_name_or_code(
    Account, code_field="tax_number", code_length=18
)

OWNER = ImportField(
    "owner",
    aliases=("负责人", "所有者", "客户经理", "销售", "跟进人", "account owner", "sales rep"),
    help_text=_(
        "A user name, email or full name. Without this column the records are yours; you may "
        "name yourself, members of teams you manage, or (administrators) anyone."
    ),
)
TAGS = ImportField(
    "tags",
    aliases=("标签", "tag", "labels"),
    help_text=_("Several tags separated by commas; new tags are created."),
)
DESCRIPTION = ImportField("description", aliases=("描述", "备注", "说明", "notes", "remark"))
EMAIL = ImportField("email", aliases=("邮箱", "电子邮箱", "电子邮件", "邮件", "e-mail", "mail"))


def account_duplicates(actor: Any, account: Account) -> list[dict[str, Any]]:
    """Visible accounts that look like ``account``: the selector the duplicates page uses."""
    return [
        {
            "object_id": match.account.pk,
            "label": match.account.name,
            "reasons": [str(reason) for reason in match.reasons],
        }
        for match in likely_duplicates(
            actor,
            name=account.name,
            tax_number=account.tax_number,
            phone=account.phone,
            email=account.email,
            city=account.city,
            limit=5,
        )
    ]


register(
    DataType(
        key="account",
        plural="accounts",
        model=Account,
        filterset=AccountFilterSet,
        create=services.create_account,
        create_bulk=services.create_accounts_bulk,
        list_url_name="customers:account-list",
        fields=(
            ImportField(
                "name",
                aliases=(
                    "名称",
                    "客户名称",
                    "公司名称",
                    "企业名称",
                    "单位名称",
                    "客户",
                    "公司",
                    "account name",
                    "company",
                    "company name",
                    "customer",
                    "customer name",
                    "account",
                ),
            ),
            ImportField("kind", aliases=("类型", "客户类型", "type", "account type")),
            ImportField("industry", aliases=("行业", "所属行业", "sector")),
            ImportField(
                "relationship_class",
                aliases=("客户关系", "关系", "客户状态", "客户阶段", "relationship class"),
            ),
            ImportField("source_class", aliases=("客户来源", "来源", "source class")),
            ImportField("region_class", aliases=("区域分类", "地区分类", "region class")),
            ImportField("settlement", aliases=("结算方式", "结算", "payment terms")),
            ImportField("receivables_class", aliases=("应收账款", "应收", "receivables class")),
            ImportField("profitability", aliases=("盈利性", "是否盈利")),
            ImportField("profit_contribution", aliases=("利润贡献", "客户价值", "value tier")),
            ImportField(
                "tax_number",
                aliases=(
                    "统一社会信用代码",
                    "社会信用代码",
                    "信用代码",
                    "税号",
                    "纳税人识别号",
                    "uscc",
                    "tax id",
                    "tax number",
                    "credit code",
                ),
            ),
            ImportField(
                "phone",
                aliases=("电话", "联系电话", "电话号码", "座机", "公司电话", "tel", "telephone"),
            ),
            EMAIL,
            ImportField("website", aliases=("网站", "网址", "官网", "url", "web", "homepage")),
            ImportField("country", aliases=("国家", "国家/地区", "country code")),
            ImportField("province", aliases=("省", "省份", "省/直辖市", "state")),
            ImportField("city", aliases=("城市", "市", "所在城市", "town")),
            ImportField("district", aliases=("区", "区县", "县区", "区/县", "county")),
            ImportField(
                "street", aliases=("地址", "详细地址", "街道", "街道地址", "address", "street")
            ),
            ImportField("postal_code", aliases=("邮编", "邮政编码", "zip", "zip code", "postcode")),
            ImportField(
                "parent",
                aliases=("上级公司", "母公司", "所属集团", "上级客户", "parent company"),
                resolve=account_by_name_or_tax_number,
                help_text=_(
                    "Matched to an account you can see by its unified social credit code or "
                    "its exact name."
                ),
            ),
            ImportField("rating", aliases=("评级", "星级", "stars")),
            DESCRIPTION,
            TAGS,
            OWNER,
        ),
        duplicate_rules=(
            DuplicateRule("tax_number"),
            DuplicateRule("phone", match="phone"),
            DuplicateRule("email"),
            DuplicateRule("name", match="name", normalise=normalised_name),
        ),
        find_duplicates=account_duplicates,
        export_fields=(
            "id",
            "name",
            "kind",
            "industry",
            "relationship_class",
            "source_class",
            "region_class",
            "settlement",
            "receivables_class",
            "profitability",
            "profit_contribution",
            "tax_number",
            "phone",
            "email",
            "website",
            "country",
            "province",
            "city",
            "district",
            "street",
            "postal_code",
            "parent",
            "rating",
            "description",
            "tags",
            "owner",
            "team",
            "last_activity_at",
            "created_at",
            "updated_at",
        ),
        export_select_related=("owner", "team", "parent"),
        export_prefetch_related=("tags",),
    )
)

register(
    DataType(
        key="contact",
        plural="contacts",
        model=Contact,
        filterset=ContactFilterSet,
        create=services.create_contact,
        create_bulk=services.create_contacts_bulk,
        list_url_name="customers:contact-list",
        fields=(
            ImportField(
                "name",
                aliases=(
                    "姓名",
                    "联系人",
                    "联系人姓名",
                    "名字",
                    "contact",
                    "contact name",
                    "full name",
                ),
            ),
            ImportField(
                "account",
                aliases=(
                    "公司",
                    "公司名称",
                    "客户",
                    "客户名称",
                    "单位",
                    "单位名称",
                    "所属客户",
                    "所属公司",
                    "company",
                    "company name",
                    "account name",
                    "organisation",
                    "organization",
                    "统一社会信用代码",
                ),
                resolve=account_by_name_or_tax_number,
                help_text=_(
                    "Matched to an account you can see by its unified social credit code or "
                    "its exact name."
                ),
            ),
            ImportField("title", aliases=("职位", "职务", "头衔", "title", "position")),
            ImportField("department", aliases=("部门", "所属部门", "dept")),
            ImportField("buying_role", aliases=("采购角色", "决策角色", "角色", "role")),
            ImportField(
                "mobile",
                aliases=(
                    "手机",
                    "手机号",
                    "手机号码",
                    "移动电话",
                    "cell",
                    "cellphone",
                    "mobile phone",
                ),
            ),
            ImportField(
                "phone",
                aliases=("电话", "座机", "办公电话", "固定电话", "联系电话", "tel", "office phone"),
            ),
            EMAIL,
            ImportField("wechat_id", aliases=("微信", "微信号", "wechat", "weixin")),
            ImportField("birthday", aliases=("生日", "出生日期", "date of birth", "dob")),
            ImportField("preferred_channel", aliases=("首选渠道", "偏好渠道", "联系方式偏好")),
            DESCRIPTION,
            TAGS,
            OWNER,
        ),
        duplicate_rules=(
            DuplicateRule("mobile"),
            DuplicateRule("email"),
            # Not the desk phone: colleagues share a switchboard number.
            DuplicateRule("name", match="name", scope="account"),
        ),
        export_fields=(
            "id",
            "name",
            "account",
            "title",
            "department",
            "buying_role",
            "mobile",
            "phone",
            "email",
            "wechat_id",
            "birthday",
            "preferred_channel",
            "consent_email",
            "consent_phone",
            "consent_sms",
            "description",
            "tags",
            "owner",
            "team",
            "last_activity_at",
            "created_at",
            "updated_at",
        ),
        export_select_related=("owner", "team", "account"),
        export_prefetch_related=("tags",),
    )
)
