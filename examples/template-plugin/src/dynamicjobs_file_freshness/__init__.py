"""The file-freshness template: is the newest backup, export or report recent enough?"""
