"""Text for what people see when something goes wrong: failed saves, outages, corrected links."""
TEXT = {
    "save.unsaved": ("上次保存没有成功，数据库中仍是原来的数字。您输入的内容都还在，请核对后再按一次保存。",
                     "Your last save did not go through; the database still holds the old figures. What you "
                     "typed is still here: check it and press save again."),
    "db.down.kept": ("您在本页输入的内容已保留，连接恢复后页面会自动回来，届时请再按一次保存。",
                     "What you typed on this page is kept. The page comes back by itself once the database "
                     "answers; then press save again."),
    "url.fixed.zone": ("链接中的工作管区“{value}”不存在，已显示全部管区。",
                       "The work zone '{value}' in the link does not exist; showing all work zones."),
    "url.fixed.site": ("链接中的站点“{value}”不存在或不在所选管区，已显示全部站点。",
                       "The site '{value}' in the link does not exist or is outside the work zone; showing all sites."),
    "url.fixed.day": ("链接中的日期“{value}”无效或超出范围（{first} 至 {last}），已改为 {used}。",
                      "The date '{value}' in the link is not valid or out of range ({first} to {last}); using {used}."),
    "filter.jump_latest": ("跳到最新一天（{day}）", "Jump to the latest day ({day})"),
    "url.fixed.range": ("链接中的开始日期晚于结束日期，已对调。", "The link's start date was after its end date; they were swapped."),
}
