# Words for charts drawn per day, week, month or year (data_access.grain picks by the range's length).
TEXT = {
    "grain.axis.day": ("日期", "Day"),
    "grain.axis.week": ("周（起始周一）", "Week of"),
    "grain.axis.month": ("月份", "Month"),
    "grain.axis.year": ("年份", "Year"),
    "grain.unit.day": ("日", "day"),
    "grain.unit.week": ("周", "week"),
    "grain.unit.month": ("月", "month"),
    "grain.unit.year": ("年", "year"),
    "grain.per_day": ("日均", "Per day"),
    "grain.note": ("所选范围共 {days} 天，图表按{unit}合计（合计与按日相同；颜色较浅的{unit}只有部分天数在范围内）",
                   "{days} days in range: the charts add up each {unit} (the totals are the same as by day; "
                   "paler bars are a {unit} only partly in the range)"),
}
