from django.urls import path

from . import need_views, partner_views, views

app_name = "activities"

urlpatterns = [
    path("activities/", views.activity_list, name="list"),
    path("activities/calendar.ics", views.calendar_feed, name="feed"),
    path("activities/<int:pk>/", views.activity_detail, name="detail"),
    path("activities/<int:pk>/sign-up/", views.sign_up, name="sign_up"),
    path("activities/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("activities/<int:pk>/calendar.ics", views.activity_ics, name="ics"),
    path("activities/<int:pk>/poster/", views.poster, name="poster"),
    path("activities/<int:pk>/share.png", views.share_image, name="share_image"),
    path("activities/<int:pk>/check-in/<str:code>/", views.check_in_link, name="check_in_link"),
    path("projects/", views.project_list, name="projects"),
    path("community/", views.choose_community, name="choose_community"),
    path("partners/", partner_views.partner_list, name="partners"),
    path("partners/<int:pk>/", partner_views.partner_detail, name="partner"),
    path("me/feedback/<int:signup_id>/", views.feedback, name="feedback"),
    path("me/sign-ups/<int:signup_id>/code/", views.my_code, name="my_code"),
    path("needs/new/", need_views.need_create, name="need_create"),
]
