"""Opportunities in the import and export pipeline (guanxi.dataio): deal lists kept in
spreadsheets come in as CSV or XLSX onto accounts the importing user can see, in the stage named
within the row's pipeline; likely duplicates are deals of the same name on the same account."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from guanxi.customers.dataio import DESCRIPTION, OWNER, TAGS, account_by_name_or_tax_number
from guanxi.dataio.registry import DataType, DuplicateRule, ImportField, register
from guanxi.dataio.rows import RowContext

from . import services
from .filters import OpportunityFilterSet
from .models import Opportunity, Pipeline


def pipeline_by_name(ctx: RowContext, value: str) -> Pipeline:
    """An active pipeline by its name, as stored or as shown in any language."""
    return ctx.cached(("pipeline", value), lambda: services.pipeline_named(value))


def stage_name(ctx: RowContext, value: str) -> Any:
    # A resolver sees one cell, not the row's pipeline, and stage names repeat across
    # pipelines: the name goes to the service, which looks it up within the row's pipeline.
    return value.strip()


register(
    DataType(
        key="opportunity",
        plural="opportunities",
        model=Opportunity,
        filterset=OpportunityFilterSet,
        create=services.create_opportunity,
        build=services.build_opportunity,
        optional=("pipeline", "stage"),
        list_url_name="sales:opportunity-list",
        fields=(
            ImportField(
                "name",
                aliases=(
                    "商机名称",
                    "机会名称",
                    "项目名称",
                    "销售机会",
                    "商机",
                    "项目",
                    "opportunity",
                    "opportunity name",
                    "deal",
                    "deal name",
                    "project",
                ),
            ),
            ImportField(
                "account",
                aliases=(
                    "客户",
                    "客户名称",
                    "所属客户",
                    "公司",
                    "公司名称",
                    "单位名称",
                    "统一社会信用代码",
                    "account name",
                    "customer",
                    "customer name",
                    "company",
                    "company name",
                ),
                resolve=account_by_name_or_tax_number,
                help_text=_(
                    "Matched to an account you can see by its unified social credit code or "
                    "its exact name."
                ),
            ),
            ImportField(
                "pipeline",
                aliases=("销售流程", "销售管道", "管道", "sales pipeline"),
                resolve=pipeline_by_name,
                help_text=_("A pipeline's name; the default pipeline when empty."),
            ),
            ImportField(
                "stage",
                aliases=("销售阶段", "商机阶段", "sales stage", "deal stage"),
                resolve=stage_name,
                help_text=_(
                    "A stage of the row's pipeline, by its name; the first open stage when empty."
                ),
            ),
            ImportField(
                "amount",
                aliases=("商机金额", "预计金额", "合同金额", "金额", "value", "deal value"),
            ),
            ImportField("currency", aliases=("币种", "货币", "币别")),
            ImportField(
                "expected_close_date",
                aliases=(
                    "预计成交日期",
                    "预计签约日期",
                    "预计结单日期",
                    "预计成交时间",
                    "成交日期",
                    "close date",
                    "expected close date",
                ),
            ),
            ImportField("forecast_category", aliases=("预测类别", "预测分类", "forecast")),
            ImportField(
                "products_of_interest",
                aliases=("意向产品", "感兴趣的产品", "产品", "products", "product interest"),
            ),
            ImportField("competitors", aliases=("竞争对手", "竞品", "对手", "competitor")),
            DESCRIPTION,
            TAGS,
            OWNER,
        ),
        duplicate_rules=(DuplicateRule("name", match="name", scope="account"),),
        export_fields=(
            "id",
            "name",
            "account",
            "pipeline",
            "stage",
            "amount",
            "currency",
            "probability",
            "expected_close_date",
            "forecast_category",
            "products_of_interest",
            "competitors",
            "loss_reason",
            "description",
            "tags",
            "owner",
            "team",
            "closed_at",
            "created_at",
            "updated_at",
        ),
        export_select_related=("account", "pipeline", "stage", "owner", "team"),
        export_prefetch_related=("tags",),
    )
)
