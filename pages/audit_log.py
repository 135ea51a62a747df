"""审计日志: who changed what, when, from which value to which, and why."""
import streamlit as st

from data_access import audit
from ui.data import read
from ui.i18n import t
from ui.guard import require_router

require_router()

st.title(t("admin.audit_title"))
left, right = st.columns(2)
table = left.selectbox(t("admin.audit_table"), ["", "checkpoint_day", "enterprise", "reopening_step", "shop",
                                                 "survey_round", "inspection", "finding", "site", "app_user",
                                                 "display_key", "setting"], key="audit_table", persist_state="session")
username = right.text_input(t("admin.audit_user"), key="audit_user", persist_state="session")
rows = read(audit.recent, 500, table or None, username.strip() or None)
st.dataframe(rows, hide_index=True, width="stretch", column_config={c: t(f"col.{c}") for c in rows.columns})
