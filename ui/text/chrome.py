"""Words for Streamlit's own widgets: select boxes' placeholders, and what ui/chrome.py draws over
Streamlit's built-in English in the Chinese UI (only the Chinese of those is ever shown)."""
TEXT = {
    "widget.choose": ("请选择，或输入以搜索", "Choose, or type to search"),
    "widget.choose_many": ("请选择（可多选），或输入以搜索", "Choose one or more, or type to search"),
    "picker.search": ("按名称查找", "Find by name"),
    "picker.search_hint": ("输入名称的一部分", "Part of the name"),
    "picker.none": ("没有名称包含这段文字的选项", "No name contains this text"),
    "picker.limited": ("共 {n} 个符合，列出前 {shown} 个；输入名称的一部分查找其余",
                       "{n} match; the first {shown} are listed. Type part of a name to find the others"),
    "chrome.upload": ("选择文件", "Choose a file"),
    "chrome.drop": ("或将文件拖放到此处", "or drop a file here"),
    "chrome.drop_now": ("松开鼠标即可上传", "Release to upload"),
    "chrome.no_results": ("无匹配项", "No match"),
    "chrome.enter_apply": ("按回车键确认", "Press Enter to apply"),
    "chrome.enter_submit": ("按回车键提交", "Press Enter to submit"),
    "chrome.ctrl_enter_apply": ("按 Ctrl（⌘）+回车键确认", "Press Ctrl (⌘)+Enter to apply"),
    "chrome.ctrl_enter_submit": ("按 Ctrl（⌘）+回车键提交", "Press Ctrl (⌘)+Enter to submit"),
    "chrome.skip": ("跳到正文", "Skip to main content"),
}
