TEXT = {
    "alerts.reported_of": ("{n}/{m} 已上报", "{n}/{m} reported"),
    "alerts.like_for_like": ("同口径 {n} 个卡口 {change}", "same {n} checkpoints {change}"),
    "alerts.like_for_like_help": ("同口径：只比较两天都已上报的 {n} 个卡口，未上报的卡口不算作下降",
                                  "Like for like: only the {n} checkpoints that reported both days; a missing report never counts as a drop"),
    "alerts.late.minutes": ("{n} 分钟", "{n} min"),
    "alerts.late.hours": ("{n} 小时", "{n} h"),
    "alerts.late.days": ("{d} 天 {h} 小时", "{d} d {h} h"),
    "alerts.status.on_time": ("按时", "on time"),
    "alerts.status.late": ("迟报 {late}", "{late} late"),
    "alerts.status.pending": ("待上报（{due} 前）", "not yet due ({due})"),
    "alerts.status.overdue": ("逾期 {late}", "overdue {late}"),
    "alerts.nobody": ("未指定负责人", "nobody assigned"),
}
