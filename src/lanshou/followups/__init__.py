"""Follow-ups (客户回访): every negative feedback opens a task with an owner and a due time, closed with an
outcome. `themes` recognises shipping problems in the feedback's text where the platform gave no tags."""
